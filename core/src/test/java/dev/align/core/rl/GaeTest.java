package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GaeTest {
    @Test
    void withGammaAndLambdaOneAdvantagesAreRewardToGoMinusValue() {
        // Âₜ = Σ_{k≥t} r_k − Vₜ: reward-to-go is 1 everywhere; Â = [1−0.5, 1−0.25, 1−0.75]; R = Â + V = 1
        Gae.Estimate e = Gae.estimate(new float[] {0, 0, 1}, new float[] {0.5f, 0.25f, 0.75f}, new float[] {1, 1, 1},
                3, 1.0, 1.0);
        assertArrayEquals(new float[] {0.5f, 0.75f, 0.25f}, e.advantages(), 1e-6f);
        assertArrayEquals(new float[] {1, 1, 1}, e.returns(), 1e-6f);
    }

    @Test
    void backwardRecursionWithDiscountAndRightPadding() {
        // γ = 0.9, λ = 0.8, γλ = 0.72. Row 1 (no padding): r = [0.1, −0.2, 1.0], V = [0.3, 0.4, 0.5]
        //   t=2: δ = 1.0 + 0.9·0 − 0.5 = 0.5                 Â = 0.5                      R = 1.0
        //   t=1: δ = −0.2 + 0.9·0.5 − 0.4 = −0.15            Â = −0.15 + 0.72·0.5 = 0.21   R = 0.61
        //   t=0: δ = 0.1 + 0.9·0.4 − 0.3 = 0.16              Â = 0.16 + 0.72·0.21 = 0.3112 R = 0.6112
        // Row 2, last position padded with garbage (r = 7, V = 9) that the mask must remove:
        //   t=2: r = V = 0                                   Â = 0                        R = 0
        //   t=1: δ = 2.0 + 0.9·0 − (−1.0) = 3.0               Â = 3.0                      R = 2.0
        //   t=0: δ = 0.5 + 0.9·(−1.0) − 1.0 = −1.4            Â = −1.4 + 0.72·3.0 = 0.76   R = 1.76
        float[] rewards = {0.1f, -0.2f, 1.0f, 0.5f, 2.0f, 7.0f};
        float[] values = {0.3f, 0.4f, 0.5f, 1.0f, -1.0f, 9.0f};
        float[] mask = {1, 1, 1, 1, 1, 0};
        Gae.Estimate e = Gae.estimate(rewards, values, mask, 3, 0.9, 0.8);
        assertArrayEquals(new float[] {0.3112f, 0.21f, 0.5f, 0.76f, 3.0f, 0}, e.advantages(), 1e-6f);
        assertArrayEquals(new float[] {0.6112f, 0.61f, 1.0f, 1.76f, 2.0f, 0}, e.returns(), 1e-6f);
    }

    @Test
    void lambdaZeroIsTheOneStepTemporalDifference() {
        // λ = 0: Âₜ = δₜ = rₜ + γVₜ₊₁ − Vₜ; γ = 0.5: [1 + 0.5·4 − 2, 3 + 0 − 4] = [1, −1]
        Gae.Estimate e = Gae.estimate(new float[] {1, 3}, new float[] {2, 4}, new float[] {1, 1}, 2, 0.5, 0.0);
        assertArrayEquals(new float[] {1, -1}, e.advantages(), 1e-6f);
        assertArrayEquals(new float[] {3, 3}, e.returns(), 1e-6f);
    }

    @Test
    void rowsMustDivideTheArray() {
        assertThrows(IllegalArgumentException.class,
                () -> Gae.estimate(new float[5], new float[5], new float[5], 2, 1, 0.95));
    }
}
