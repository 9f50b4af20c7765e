package dev.align.core.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HolmTest {

    @Test
    void fourPValues() {
        // input           0.01   0.04   0.03   0.005      (m = 4)
        // sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06
        // adjusted, input order: 0.03, 0.06, 0.06, 0.02
        double[] p = {0.01, 0.04, 0.03, 0.005};
        assertArrayEquals(new double[] {0.03, 0.06, 0.06, 0.02}, Holm.adjust(p), 1e-12);
        // α = 0.05: step 1 0.005 ≤ 0.05/4 reject; step 2 0.01 ≤ 0.05/3 reject; step 3 0.03 > 0.05/2 stop.
        assertArrayEquals(new boolean[] {true, false, false, true}, Holm.rejected(p, 0.05));
    }

    @Test
    void cappedAtOneAndMonotone() {
        // sorted 0.2·3 = 0.6, 0.5·2 = 1.0, 0.9·1 = 0.9 → running max 1.0 → 0.6, 1.0, 1.0
        assertArrayEquals(new double[] {1.0, 0.6, 1.0}, Holm.adjust(new double[] {0.9, 0.2, 0.5}), 1e-12);
    }

    @Test
    void missingTestsDoNotCount() {
        // NaN is no test: m = 2. sorted 0.01·2 = 0.02, 0.04·1 = 0.04.
        double[] adjusted = Holm.adjust(new double[] {0.04, Double.NaN, 0.01});
        assertEquals(0.04, adjusted[0], 1e-12);
        assertTrue(Double.isNaN(adjusted[1]));
        assertEquals(0.02, adjusted[2], 1e-12);
    }
}
