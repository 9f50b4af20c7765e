package dev.align.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class McNemarTest {

    @Test
    void sevenAgainstOne() {
        // X ~ Bin(8, 1/2): P(X ≤ 1) = (C(8,0) + C(8,1)) / 2⁸ = (1 + 8) / 256; p = 2 · 9/256 = 0.0703125
        assertEquals(0.0703125, McNemar.exactP(7, 1), 1e-12);
        assertEquals(0.0703125, McNemar.exactP(1, 7), 1e-12);
    }

    @Test
    void tenAgainstTwo() {
        // X ~ Bin(12, 1/2): P(X ≤ 2) = (1 + 12 + 66) / 4096 = 79/4096; p = 158/4096 = 0.03857421875
        assertEquals(158 / 4096.0, McNemar.exactP(10, 2), 1e-12);
    }

    @Test
    void allDiscordantOneWay() {
        // X ~ Bin(5, 1/2): P(X ≤ 0) = 1/32; p = 2/32 = 0.0625
        assertEquals(0.0625, McNemar.exactP(5, 0), 1e-12);
    }

    @Test
    void balancedIsOne() {
        // b = c = 3: P(X ≤ 3) for Bin(6, 1/2) = (1 + 6 + 15 + 20)/64 = 42/64; 2 · 42/64 > 1 → capped at 1
        assertEquals(1.0, McNemar.exactP(3, 3), 1e-12);
        // b + c = 0: no discordant pair, no evidence.
        assertEquals(1.0, McNemar.exactP(0, 0), 1e-12);
    }

    @Test
    void countsDiscordantPairs() {
        //           item: 0  1  2  3  4  5
        boolean[] a = {true, true, true, false, false, true};
        boolean[] b = {true, false, false, true, false, false};
        // a-only: items 1, 2, 5 → b = 3; b-only: item 3 → c = 1; concordant items 0 and 4 are ignored.
        // p = 2 · P(Bin(4, 1/2) ≤ 1) = 2 · (1 + 4)/16 = 0.625
        McNemar.Result r = McNemar.test(a, b);
        assertEquals(3, r.b());
        assertEquals(1, r.c());
        assertEquals(0.625, r.p(), 1e-12);
    }
}
