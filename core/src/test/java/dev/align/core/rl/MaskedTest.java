package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MaskedTest {
    // (B, T) = (2, 5); the masked last column holds values far from the others, so leaking them shows.
    static final float[] X = {2, 4, 4, 4, 1000, 5, 5, 7, 9, -1000};
    static final float[] MASK = {1, 1, 1, 1, 0, 1, 1, 1, 1, 0};

    @Test
    void meanAndVarianceCountOnlyMaskedElements() {
        // μ = (2+4+4+4+5+5+7+9)/8 = 40/8 = 5
        assertEquals(5.0, Masked.mean(X, MASK), 1e-12);
        // Σ(x−μ)² = 9+1+1+1+0+0+4+16 = 32; biased 32/8 = 4; unbiased (TRL's default) 32/7 = 4.5714285714
        assertEquals(4.0, Masked.variance(X, MASK, false), 1e-12);
        assertEquals(32.0 / 7, Masked.variance(X, MASK, true), 1e-12);
    }

    @Test
    void whiteningUsesTheUnbiasedVarianceAndZeroesMaskedPositions() {
        float[] w = Masked.whiten(X, MASK, true);
        // σ = √(32/7) = 2.1380899353; (9−5)/σ = 1.8708286913; (2−5)/σ = −1.4031215185; masked → 0
        assertEquals(1.8708286913, w[8], 1e-6);
        assertEquals(-1.4031215185, w[0], 1e-6);
        assertEquals(0.0, w[5], 1e-7); // x = μ
        assertEquals(0f, w[4]);
        assertEquals(0f, w[9]);
        // shift_mean=False adds μ = 5 back: 1.8708286913 + 5 = 6.8708286913
        float[] kept = Masked.whiten(X, MASK, false);
        assertEquals(6.8708286913, kept[8], 1e-6);
        assertEquals(5.0, kept[5], 1e-6);
        assertEquals(0f, kept[9]);
    }

    @Test
    void degenerateMasksAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Masked.mean(new float[] {1, 2}, new float[] {0, 0}));
        // one element: Bessel's n/(n−1) would divide by zero (TRL's masked_var)
        assertThrows(IllegalArgumentException.class, () -> Masked.variance(new float[] {1, 2}, new float[] {1, 0}, true));
        assertEquals(0.0, Masked.variance(new float[] {1, 2}, new float[] {1, 0}, false), 0);
        assertThrows(IllegalArgumentException.class, () -> Masked.mean(new float[] {1, 2}, new float[] {1}));
        // two elements [3, 5]: μ = 4, unbiased σ² = (1 + 1)/(2 − 1) = 2, so ±1/√2 = ±0.7071067812 (biased σ² = 1 would give ±1)
        assertArrayEquals(new float[] {-0.7071067812f, 0.7071067812f},
                Masked.whiten(new float[] {3, 5}, new float[] {1, 1}, true), 1e-6f);
    }
}
