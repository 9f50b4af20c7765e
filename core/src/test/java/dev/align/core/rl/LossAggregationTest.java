package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import dev.align.core.model.Scalars;
import org.junit.jupiter.api.Test;

class LossAggregationTest extends EngineTest {
    // ℓ (2, 4); masked positions hold 100 so that counting one shows.
    NDArray loss() {
        return manager.create(new float[] {1, 2, 3, 100, 4, 5, 100, 100}, new Shape(2, 4));
    }

    NDArray mask() {
        return manager.create(new long[] {1, 1, 1, 0, 1, 1, 0, 0}, new Shape(2, 4)); // int64, as attention masks are
    }

    static double value(NDArray scalar) {
        return Scalars.toFloat(scalar);
    }

    @Test
    void eachLossTypeDividesTheMaskedSumItsOwnWay() {
        // grpo: row means (1+2+3)/3 = 2 and (4+5)/2 = 4.5, then (2 + 4.5)/2 = 3.25
        assertEquals(3.25, value(LossAggregation.grpo(loss(), mask())), 1e-6);
        // bnpo: (1+2+3+4+5)/5 = 15/5 = 3
        assertEquals(3.0, value(LossAggregation.bnpo(loss(), mask())), 1e-6);
        // dapo: 15 / 10 active tokens in the global batch = 1.5; no active token anywhere: 15 / max(0, 1) = 15
        assertEquals(1.5, value(LossAggregation.dapo(loss(), mask(), 10)), 1e-6);
        assertEquals(15.0, value(LossAggregation.dapo(loss(), mask(), 0)), 1e-6);
        // dr_grpo: 15 / (B·L) = 15 / (2·4) = 1.875; with L = 6: 15/12 = 1.25
        assertEquals(1.875, value(LossAggregation.drGrpo(loss(), mask(), 4)), 1e-6);
        assertEquals(1.25, value(LossAggregation.drGrpo(loss(), mask(), 6)), 1e-6);
    }

    @Test
    void applyDispatchesByType() {
        assertEquals(3.25, value(LossAggregation.GRPO.apply(loss(), mask(), 10, 6)), 1e-6);
        assertEquals(3.0, value(LossAggregation.BNPO.apply(loss(), mask(), 10, 6)), 1e-6);
        assertEquals(1.5, value(LossAggregation.DAPO.apply(loss(), mask(), 10, 6)), 1e-6);
        assertEquals(1.25, value(LossAggregation.DR_GRPO.apply(loss(), mask(), 10, 6)), 1e-6);
    }

    @Test
    void aSequenceWithoutTokensCountsAsZeroInGrpo() {
        // row 2 fully masked: (2 + 0/max(0, 1))/2 = 1; bnpo ignores it: 6/3 = 2
        NDArray m = manager.create(new float[] {1, 1, 1, 0, 0, 0, 0, 0}, new Shape(2, 4));
        assertEquals(1.0, value(LossAggregation.grpo(loss(), m)), 1e-6);
        assertEquals(2.0, value(LossAggregation.bnpo(loss(), m)), 1e-6);
    }

    @Test
    void gradientsWeighTokensAsTheDenominatorsSay() {
        float[] l = {1, 2, 3, 100, 4, 5, 100, 100};
        Shape s = new Shape(2, 4);
        // grpo: ∂/∂ℓ_bt = m_bt / (B·n_b): row 1 1/(2·3) = 0.1666667, row 2 1/(2·2) = 0.25
        assertArrayEquals(new float[] {1 / 6f, 1 / 6f, 1 / 6f, 0, 0.25f, 0.25f, 0, 0},
                FiniteDifferences.gradient(manager, l, s, x -> LossAggregation.grpo(x, mask())));
        // bnpo: m/5 = 0.2 for every counted token
        assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f, 0, 0.2f, 0.2f, 0, 0},
                FiniteDifferences.gradient(manager, l, s, x -> LossAggregation.bnpo(x, mask())));
    }

    static void assertArrayEquals(float[] expected, float[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-6f);
    }

    @Test
    void names() {
        assertEquals(LossAggregation.DR_GRPO, LossAggregation.parse("dr_grpo"));
        assertEquals("dr_grpo", LossAggregation.DR_GRPO.trlName());
        assertEquals(LossAggregation.DAPO, LossAggregation.parse("DAPO"));
        assertThrows(IllegalArgumentException.class, () -> LossAggregation.parse("cispo"));
    }
}
