package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClippedValueLossTest extends EngineTest {
    static final Shape BT = new Shape(2, 3);
    // ε_v = 0.2. Six tokens (V, V_old, R); the last is masked:
    static final float[] V = {1.0f, 1.5f, 1.5f, 0.0f, 0.0f, 5.0f};
    static final float[] V_OLD = {0.9f, 1.0f, 1.0f, 1.0f, 1.0f, 0.0f};
    static final float[] R = {1.5f, 2.0f, 1.0f, 2.0f, -1.0f, 0.0f};
    static final float[] MASK = {1, 1, 1, 1, 1, 0};

    NDArray loss(NDArray values) {
        return ClippedValueLoss.perToken(values, manager.create(V_OLD, BT), manager.create(R, BT), 0.2);
    }

    @Test
    void perTokenLossIsHalfTheLargerSquaredError() {
        //   V_clip = V_old + clip(V − V_old, ±0.2)   (V − R)²   (V_clip − R)²   ½·max
        //   1.0 + 0 → 1.0                           0.25       0.25           0.125
        //   1.0 + 0.2 = 1.2                         0.25       0.64           0.32   (clipped term larger)
        //   1.0 + 0.2 = 1.2                         0.25       0.04           0.125
        //   1.0 − 0.2 = 0.8                         4.0        1.44           2.0
        //   1.0 − 0.2 = 0.8                         1.0        3.24           1.62   (clipped term larger)
        //   0.0 + 0.2 = 0.2                         25.0       0.04           12.5   (masked)
        NDArray l = loss(manager.create(V, BT));
        assertArrayEquals(new float[] {0.125f, 0.32f, 0.125f, 2.0f, 1.62f, 12.5f}, l.toFloatArray(), 1e-6f);
        // TRL's vf_loss = 0.5·masked_mean(max(...)) = (0.125 + 0.32 + 0.125 + 2.0 + 1.62)/5 = 4.19/5 = 0.838
        assertEquals(0.838, Scalars.toFloat(LossAggregation.bnpo(l, manager.create(MASK, BT))), 1e-6);
        // vf_clipfrac: 2 of the 5 counted tokens
        assertEquals(0.4, ClippedValueLoss.clipFraction(manager.create(V, BT), manager.create(V_OLD, BT),
                manager.create(R, BT), manager.create(MASK, BT), 0.2), 1e-9);
    }

    @Test
    void gradientIsTheUnclippedErrorOrZero() {
        // ∂ℓ/∂V = V − R where the unclipped term is the larger, 0 where the clipped one is (it is constant in V):
        //   [1.0 − 1.5, 0, 1.5 − 1.0, 0 − 2.0, 0, 5 − 0] = [−0.5, 0, 0.5, −2, 0, 5]
        float[] g = FiniteDifferences.gradient(manager, V, BT, x -> loss(x).sum());
        assertArrayEquals(new float[] {-0.5f, 0, 0.5f, -2, 0, 5}, g, 1e-5f);
        NDArray mask = manager.create(MASK, BT);
        FiniteDifferences.check(manager, V, BT, x -> LossAggregation.bnpo(loss(x), mask), 1e-3, 1e-3);
    }

    @Test
    void gradientsThroughAValueHeadMatchFiniteDifferences() throws Exception {
        try (TransformerPolicy model = TinyModels.llama(manager, 8)) {
            model.addValueHead(3);
            NDArray[] batch = TinyModels.batch(manager, List.of(new int[] {10, 20, 30, 40}, new int[] {50, 60, 70}),
                    model.tokenizer().padId(), false);
            NDArray ids = batch[0], attention = batch[1], mask = attention.toType(DataType.FLOAT32, false);
            NDArray start = model.values(model.hidden(ids, attention)).stopGradient(); // (2, 4)
            Shape s = start.getShape();
            // V − V_old at the start: inside and outside ±0.2; returns on both sides of V
            NDArray old = start.sub(manager.create(new float[] {0.1f, 0.5f, -0.5f, 0.05f, -0.6f, 0.4f, 0, 0}, s));
            NDArray returns = start.add(manager.create(new float[] {1f, 1f, 1f, -1f, 1f, -1f, 0.5f, 0}, s));
            GradientCheck.check(model, m -> LossAggregation.bnpo(
                    ClippedValueLoss.perToken(m.values(m.hidden(ids, attention)), old, returns, 0.2), mask), 3, 1e-3, 1e-2, 13);
        }
    }
}
