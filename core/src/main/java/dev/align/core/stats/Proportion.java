package dev.align.core.stats;

import java.util.Locale;

/**
 * A rate: {@code successes} of {@code n}, with its Wilson interval at some level.
 *
 * @param successes items where the outcome held
 * @param n items where the outcome applies
 * @param interval the Wilson interval ({@link Interval#UNDEFINED} when {@code n = 0})
 */
public record Proportion(int successes, int n, Interval interval) {

    /** {@code k} of {@code n} with its Wilson interval at {@code level}. */
    public static Proportion of(int successes, int n, double level) {
        return new Proportion(successes, n, Wilson.interval(successes, n, level));
    }

    /** {@code k / n}; NaN when {@code n = 0}. */
    public double rate() {
        return n == 0 ? Double.NaN : successes / (double) n;
    }

    /** {@code 0.42 [0.31, 0.54] (n=56)}; {@code – (n=0)} when nothing applies. */
    public String format() {
        if (n == 0) return "– (n=0)";
        return decimal(rate()) + " " + interval.format() + " (n=" + n + ")";
    }

    /** Two decimals ({@code 0.42}); {@code –} for NaN. */
    public static String decimal(double x) {
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%.2f", x);
    }
}
