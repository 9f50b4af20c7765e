package dev.align.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WilsonTest {
    // z = Φ⁻¹(0.975) = 1.959964, z² = 3.841459.

    @Test
    void eightOfTen() {
        // p = 0.8, z²/n = 0.3841459, 1 + z²/n = 1.3841459
        // centre = (0.8 + 0.1920729) / 1.3841459 = 0.7167402
        // half   = 1.959964 / 1.3841459 · √(0.8·0.2/10 + 3.841459/400)
        //        = 1.4160113 · √(0.016 + 0.0096036) = 1.4160113 · 0.1600113 = 0.2265777
        // → [0.4901625, 0.9433178]
        Interval w = Wilson.interval(8, 10);
        assertEquals(0.4901625, w.lower(), 1e-6);
        assertEquals(0.9433178, w.upper(), 1e-6);
    }

    @Test
    void noneOfTen() {
        // p = 0: centre = 0.1920729 / 1.3841459 = 0.1387664, half = 1.4160113 · √0.0096036 = 0.1387664
        // → [0, 0.2775328]: not the Wald interval's degenerate [0, 0].
        Interval w = Wilson.interval(0, 10);
        assertEquals(0.0, w.lower(), 1e-12);
        assertEquals(0.2775328, w.upper(), 1e-6);
    }

    @Test
    void allOfTen() {
        // p = 1: centre = 1.1920729 / 1.3841459 = 0.8612336, half = 0.1387664 → [0.7224672, 1]
        Interval w = Wilson.interval(10, 10);
        assertEquals(0.7224672, w.lower(), 1e-6);
        assertEquals(1.0, w.upper(), 1e-12);
    }

    @Test
    void otherLevels() {
        // 90%: z = 1.6448536, z²/n = 0.2705543; centre = (0.8 + 0.1352771)/1.2705543 = 0.7361174
        // half = 1.6448536/1.2705543 · √(0.016 + 0.0067639) = 1.2945953 · 0.1508772 = 0.1953249
        // → [0.5407928, 0.9314420]
        Interval w = Wilson.interval(8, 10, 0.90);
        assertEquals(0.5407928, w.lower(), 1e-6);
        assertEquals(0.9314420, w.upper(), 1e-6);
        assertEquals(1.959964, Wilson.z(0.95), 1e-6);
    }

    @Test
    void emptyIsUndefined() {
        Interval w = Wilson.interval(0, 0);
        assertTrue(Double.isNaN(w.lower()) && Double.isNaN(w.upper()));
        assertFalse(w.isDefined());
        assertEquals("– (n=0)", Proportion.of(0, 0, 0.95).format());
    }

    @Test
    void formatsLikeTheReport() {
        assertEquals("0.80 [0.49, 0.94] (n=10)", Proportion.of(8, 10, 0.95).format());
    }

    @Test
    void rejectsImpossibleCounts() {
        assertThrows(IllegalArgumentException.class, () -> Wilson.interval(11, 10));
        assertThrows(IllegalArgumentException.class, () -> Wilson.interval(1, 10, 1.0));
    }
}
