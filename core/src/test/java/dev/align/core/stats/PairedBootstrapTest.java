package dev.align.core.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PairedBootstrapTest {

    private static boolean[] draws(SplittableRandom r, int n, double rate) {
        boolean[] x = new boolean[n];
        for (int i = 0; i < n; i++) x[i] = r.nextDouble() < rate;
        return x;
    }

    @Test
    void sameSeedSameInterval() {
        SplittableRandom r = new SplittableRandom(1);
        boolean[] a = draws(r, 120, 0.6);
        boolean[] b = draws(r, 120, 0.4);
        PairedBootstrap.Difference first = PairedBootstrap.difference(a, b, 42);
        PairedBootstrap.Difference again = PairedBootstrap.difference(a, b, 42);
        assertEquals(first, again);
        // The seed does drive the draws: on continuous values (no ties among resampled means) another
        // seed moves the interval's ends.
        double[] x = new double[120];
        double[] y = new double[120];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble();
            y[i] = r.nextDouble();
        }
        assertEquals(PairedBootstrap.difference(x, y, 1000, 42, 0.95), PairedBootstrap.difference(x, y, 1000, 42, 0.95));
        assertNotEquals(PairedBootstrap.difference(x, y, 1000, 42, 0.95).interval(),
                PairedBootstrap.difference(x, y, 1000, 43, 0.95).interval());
    }

    @Test
    void identicalVectorsGiveZero() {
        // Every per-item difference is 0, so every resampled mean difference is 0.
        boolean[] a = draws(new SplittableRandom(2), 50, 0.5);
        PairedBootstrap.Difference d = PairedBootstrap.difference(a, a.clone(), 7);
        assertEquals(0.0, d.estimate());
        assertEquals(new Interval(0.0, 0.0), d.interval());
    }

    @Test
    void pairingCancelsSharedItems() {
        // a = b except on one item of 4: per-item differences {1, 0, 0, 0}; estimate 1/4.
        // A resample's mean is k/4, k ~ Bin(4, 1/4) = number of times item 0 was drawn:
        // P(k=0) = 0.316 > 0.025 → lower = 0; P(k ≥ 3) = 0.051 > 0.025 and P(k = 4) = 0.004 → upper = 0.75.
        boolean[] a = {true, true, false, false};
        boolean[] b = {false, true, false, false};
        PairedBootstrap.Difference d = PairedBootstrap.difference(a, b, 10_000, 3, 0.95);
        assertEquals(0.25, d.estimate(), 1e-12);
        assertEquals(new Interval(0.0, 0.75), d.interval());
    }

    @Test
    void coversAKnownDifference() {
        // Independent items with P(a) = 0.6, P(b) = 0.4: the true difference is 0.2. A 95% interval
        // should cover it in about 95 of 100 data sets (binomial sd ≈ 2.2, so 88..100 is a wide band).
        SplittableRandom r = new SplittableRandom(11);
        int covered = 0;
        int sets = 200;
        for (int s = 0; s < sets; s++) {
            boolean[] a = draws(r, 150, 0.6);
            boolean[] b = draws(r, 150, 0.4);
            if (PairedBootstrap.difference(a, b, 2000, s, 0.95).interval().contains(0.2)) covered++;
        }
        assertTrue(covered >= 176 && covered <= 199, "covered " + covered + " of " + sets);
    }

    @Test
    void noItemsIsUndefined() {
        PairedBootstrap.Difference d = PairedBootstrap.difference(new boolean[0], new boolean[0], 1);
        assertTrue(Double.isNaN(d.estimate()));
        assertEquals(Interval.UNDEFINED, d.interval());
    }
}
