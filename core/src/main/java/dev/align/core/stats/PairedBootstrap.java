package dev.align.core.stats;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded, paired percentile bootstrap for the difference of two means on the same units (Efron and
 * Tibshirani, 1993, ch. 13). With {@code a} and {@code b} measured on the same {@code n} items, each of
 * {@code R} resamples draws {@code n} item indices {@code i₁..iₙ} uniformly with replacement and computes
 *
 * <pre>
 *   d* = mean(a[i₁..iₙ]) − mean(b[i₁..iₙ])
 * </pre>
 *
 * Resampling items, not the two vectors separately, keeps the pairing: what two models share on an item
 * (its difficulty) cancels. The interval at {@code level} takes the order statistics of the sorted
 * {@code d*₁ ≤ … ≤ d*_R} at 0-based indices {@code ⌊R·α/2⌋} and {@code ⌈R·(1 − α/2)⌉ − 1}, {@code α =
 * 1 − level} (for R = 10000 and 95%: the 251st and the 9750th). Indices come from {@link
 * SplittableRandom} seeded with {@code seed}: the same inputs and seed give the same interval.
 */
public final class PairedBootstrap {
    public static final int DEFAULT_RESAMPLES = 10_000;

    private PairedBootstrap() {}

    /** The observed difference {@code mean(a) − mean(b)} and its bootstrap interval. */
    public record Difference(double estimate, Interval interval, int n) {}

    /** {@code mean(a) − mean(b)} for binary outcomes (true = 1), with its interval. */
    public static Difference difference(boolean[] a, boolean[] b, int resamples, long seed, double level) {
        return difference(toDoubles(a), toDoubles(b), resamples, seed, level);
    }

    /** The 95% interval from {@link #DEFAULT_RESAMPLES} resamples. */
    public static Difference difference(boolean[] a, boolean[] b, long seed) {
        return difference(a, b, DEFAULT_RESAMPLES, seed, Wilson.DEFAULT_LEVEL);
    }

    /**
     * {@code mean(a) − mean(b)} for values on the same units (e.g. per-question accuracies), with its
     * interval. No units: estimate and interval are NaN.
     */
    public static Difference difference(double[] a, double[] b, int resamples, long seed, double level) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired vectors differ in length: " + a.length + " vs " + b.length);
        }
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        int n = a.length;
        if (n == 0) return new Difference(Double.NaN, Interval.UNDEFINED, 0);
        double[] d = new double[n]; // per-unit differences: mean(a*) − mean(b*) = mean(d*)
        double sum = 0;
        for (int i = 0; i < n; i++) {
            d[i] = a[i] - b[i];
            sum += d[i];
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += d[random.nextInt(n)];
            stats[r] = s / n;
        }
        Arrays.sort(stats);
        double alpha = 1 - level;
        int lo = (int) Math.floor(resamples * alpha / 2);
        int hi = Math.max(lo, (int) Math.ceil(resamples * (1 - alpha / 2)) - 1);
        return new Difference(sum / n, new Interval(stats[lo], stats[Math.min(hi, resamples - 1)]), n);
    }

    private static double[] toDoubles(boolean[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] ? 1 : 0;
        return out;
    }
}
