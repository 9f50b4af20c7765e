package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClippedPolicyLossTest extends EngineTest {
    static final Shape BT = new Shape(2, 3);
    // Six tokens (B, T) = (2, 3) with ratios ρ and advantages A on every side of DAPO's range [1 − 0.2, 1 + 0.28]:
    //   (ρ, A): (1.1, 1) (1.5, 1) (1.5, −1) | (0.5, −2) (0.5, 2) (1.25, 1)
    static final float[] RATIO = {1.1f, 1.5f, 1.5f, 0.5f, 0.5f, 1.25f};
    static final float[] ADVANTAGE = {1, 1, -1, -2, 2, 1};
    static final float[] OLD = {-1, -2, -0.5f, -3, -1.5f, -2.5f};

    static float[] logp() { // log π_θ = log π_old + log ρ
        float[] x = new float[6];
        for (int i = 0; i < 6; i++) x[i] = OLD[i] + (float) Math.log(RATIO[i]);
        return x;
    }

    NDArray loss(NDArray logp, double epsilonHigh) {
        return ClippedPolicyLoss.perToken(logp, manager.create(OLD, BT), manager.create(ADVANTAGE, BT), 0.2, epsilonHigh);
    }

    @Test
    void perTokenLossTakesThePessimisticTerm() {
        // −min(ρA, clip(ρ, 0.8, 1.28)A):
        //   (1.1, 1):  min(1.1, 1.1) = 1.1              → −1.1
        //   (1.5, 1):  min(1.5, 1.28) = 1.28            → −1.28  (clipped high)
        //   (1.5, −1): min(−1.5, −1.28) = −1.5          → 1.5
        //   (0.5, −2): min(−1.0, 0.8·−2 = −1.6) = −1.6   → 1.6    (clipped low)
        //   (0.5, 2):  min(1.0, 1.6) = 1.0              → −1.0
        //   (1.25, 1): 1.25 < 1.28, unclipped           → −1.25
        assertArrayEquals(new float[] {-1.1f, -1.28f, 1.5f, 1.6f, -1.0f, -1.25f},
                loss(manager.create(logp(), BT), 0.28).toFloatArray(), 1e-6f);
        // symmetric PPO clipping (ε_high = 0.2) clips the last token too: min(1.25, 1.2) → −1.2
        assertEquals(-1.2f, loss(manager.create(logp(), BT), 0.2).toFloatArray()[5], 1e-6f);
    }

    @Test
    void gradientIsMinusAdvantageTimesRatioUnlessClipped() {
        // ∂ℓ/∂log π = −A·ρ where the unclipped term is taken, 0 where clipping bites:
        //   [−1·1.1, 0, −(−1)·1.5, 0, −2·0.5, −1·1.25] = [−1.1, 0, 1.5, 0, −1.0, −1.25]
        float[] g = FiniteDifferences.gradient(manager, logp(), BT, x -> loss(x, 0.28).sum());
        assertArrayEquals(new float[] {-1.1f, 0, 1.5f, 0, -1.0f, -1.25f}, g, 1e-6f);
        // with ε_high = 0.2 the last token is clipped: its gradient vanishes
        assertEquals(0f, FiniteDifferences.gradient(manager, logp(), BT, x -> loss(x, 0.2).sum())[5], 0f);
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 0}, BT);
        FiniteDifferences.check(manager, logp(), BT, x -> LossAggregation.bnpo(loss(x, 0.28), mask), 1e-3, 1e-3);
        FiniteDifferences.check(manager, logp(), BT, x -> LossAggregation.grpo(loss(x, 0.28), mask), 1e-3, 1e-3);
    }

    @Test
    void statisticsCountWhereClippingBites() {
        NDArray logp = manager.create(logp(), BT), old = manager.create(OLD, BT), a = manager.create(ADVANTAGE, BT);
        // All six tokens: low = {(0.5, −2)} → 1/6, high = {(1.5, 1)} → 1/6, region 2/6;
        // per row: low [0/3, 1/3] → min 0, high [1/3, 0/3] → max 1/3.
        // approxkl = ½·mean(ln²ρ) = ½(ln²1.1 + 2 ln²1.5 + 2 ln²0.5 + ln²1.25)/6
        //          = ½(0.0090840 + 2·0.1644020 + 2·0.4804530 + 0.0497930)/6 = 0.1123822509; mean ρ = 6.35/6 = 1.0583333
        ClippedPolicyLoss.Statistics all = ClippedPolicyLoss.statistics(logp, old, a, manager.ones(BT), 0.2, 0.28);
        assertStatistics(all, 1 / 6.0, 1 / 6.0, 2 / 6.0, 0, 1 / 3.0, 0.1123822509, 6.35 / 6);
        // Masking the (1.25, 1) token: 1/5, 1/5, 2/5; row 2 low 1/2; approxkl ½(…minus ln²1.25)/5 = 0.1298793966;
        // mean ρ = 5.1/5 = 1.02
        NDArray mask = manager.create(new long[] {1, 1, 1, 1, 1, 0}, BT);
        ClippedPolicyLoss.Statistics masked = ClippedPolicyLoss.statistics(logp, old, a, mask, 0.2, 0.28);
        assertStatistics(masked, 0.2, 0.2, 0.4, 0, 1 / 3.0, 0.1298793966, 1.02);
    }

    @Test
    void oneAdvantagePerSequenceBroadcastsOverItsTokens() {
        // A (B) = [1, −2] means row 1 has A = 1 and row 2 has A = −2 (TRL's unsqueeze(1)), not one per column:
        //   row 1 ρ = [1.1, 1.5] → [−1.1, −1.28]; row 2 ρ = [0.5, 1.0], A = −2 → [−min(−1, −1.6), −min(−2, −2)] = [1.6, 2]
        Shape s = new Shape(2, 2);
        NDArray logp = manager.create(new float[] {(float) Math.log(1.1), (float) Math.log(1.5), (float) Math.log(0.5), 0}, s);
        NDArray l = ClippedPolicyLoss.perToken(logp, manager.zeros(s), manager.create(new float[] {1, -2}), 0.2, 0.28);
        assertArrayEquals(new float[] {-1.1f, -1.28f, 1.6f, 2.0f}, l.toFloatArray(), 1e-6f);
    }

    @Test
    void sequenceLevelRatiosAsRloo() {
        // RLOO: one ratio per sequence (B) = 3, ρ = [1.5, 0.5, 1.0], A = [1, −1, 1], ε = 0.2 both sides
        //   ℓ = [−min(1.5, 1.2), −min(−0.5, −0.8), −1.0] = [−1.2, 0.8, −1.0]
        //   low: seq 2 → 1/3, high: seq 1 → 1/3; min low 0, max high 1; approxkl ½(ln²1.5 + ln²0.5 + 0)/3 = 0.1074758280
        NDArray logp = manager.create(new float[] {(float) Math.log(1.5), (float) Math.log(0.5), 0});
        NDArray old = manager.zeros(new Shape(3)), a = manager.create(new float[] {1, -1, 1});
        assertArrayEquals(new float[] {-1.2f, 0.8f, -1.0f}, ClippedPolicyLoss.perToken(logp, old, a, 0.2, 0.2).toFloatArray(), 1e-6f);
        assertStatistics(ClippedPolicyLoss.statistics(logp, old, a, null, 0.2, 0.2), 1 / 3.0, 1 / 3.0, 2 / 3.0, 0, 1,
                0.1074758280, 1.0);
    }

    static void assertStatistics(ClippedPolicyLoss.Statistics s, double low, double high, double region, double lowMin,
            double highMax, double approxKl, double ratio) {
        assertEquals(low, s.clipRatioLow(), 1e-6, s.toString());
        assertEquals(high, s.clipRatioHigh(), 1e-6, s.toString());
        assertEquals(region, s.clipRatio(), 1e-6, s.toString());
        assertEquals(lowMin, s.clipRatioLowMin(), 1e-6, s.toString());
        assertEquals(highMax, s.clipRatioHighMax(), 1e-6, s.toString());
        assertEquals(approxKl, s.approxKl(), 1e-6, s.toString());
        assertEquals(ratio, s.ratioMean(), 1e-6, s.toString());
    }

    @Test
    void gradientsThroughAModelMatchFiniteDifferencesForEveryAggregation() throws Exception {
        try (TransformerPolicy model = TinyModels.llama(manager, 7)) {
            NDArray[] batch = TinyModels.batch(manager, List.of(new int[] {10, 20, 30, 40, 50, 60},
                    new int[] {70, 80, 90, 100, 110}), model.tokenizer().padId(), false);
            NDArray ids = batch[0], attention = batch[1];
            NDArray mask = attention.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false); // (2, 5), row 2 padded once
            NDArray start = LogProbs.DEFAULT.sequences(model, ids, attention, null).logProbs().stopGradient(); // (2, 5)
            Shape s = start.getShape();
            // π_old so that ρ starts on both sides of both clip limits, far enough from them for finite differences
            float[] logRatio = {0.1f, 0.5f, -0.7f, 0f, -0.5f, -0.7f, 0.5f, 0.1f, -0.1f, 0};
            NDArray old = start.sub(manager.create(logRatio, s));
            NDArray ref = start.add(manager.create(new float[] {0.3f, -0.2f, 0.1f, 0.4f, -0.3f, 0.2f, 0, -0.1f, 0.3f, 0}, s));
            NDArray advantages = manager.create(new float[] {1, 1, -2, -1, 2, -1, 1, -1, 0.5f, 0.5f}, s);
            for (LossAggregation aggregation : LossAggregation.values()) {
                GradientCheck.check(model, m -> {
                    NDArray logp = LogProbs.DEFAULT.sequences(m, ids, attention, null).logProbs();
                    NDArray perToken = ClippedPolicyLoss.perToken(logp, old, advantages, 0.2, 0.28)
                            .add(KlEstimator.K3.of(logp, ref).mul(Scalars.constant(logp, 0.04f))); // GRPO's + β·k3
                    return aggregation.apply(perToken, mask, 12, 8);
                }, 2, 1e-3, 1e-2, 11); // the gradient direction and a random one
            }
        }
    }
}
