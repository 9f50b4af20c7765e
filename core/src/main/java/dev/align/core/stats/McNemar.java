package dev.align.core.stats;

import org.apache.commons.math3.distribution.BinomialDistribution;

/**
 * McNemar's exact test (McNemar, 1947; the exact form of Fagerland, Lydersen and Laake, 2013) for two
 * binary outcomes on the same items. Only the discordant items carry information: {@code b} where
 * {@code a} holds and {@code b} does not, {@code c} the reverse. Under the null of equal rates, {@code b
 * ~ Binomial(b + c, 1/2)}, and the two-sided p-value is
 *
 * <pre>
 *   p = min(1, 2 · P(X ≤ min(b, c))),   X ~ Binomial(b + c, 1/2)
 * </pre>
 *
 * With no discordant items ({@code b + c = 0}) the data say nothing against the null: {@code p = 1}.
 */
public final class McNemar {
    private McNemar() {}

    /** The discordant counts and the exact two-sided p-value. */
    public record Result(int b, int c, double p) {}

    /** Counts the discordant pairs of {@code a} and {@code b} (same items, same order) and tests them. */
    public static Result test(boolean[] a, boolean[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired vectors differ in length: " + a.length + " vs " + b.length);
        }
        int onlyA = 0;
        int onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && !b[i]) onlyA++;
            if (!a[i] && b[i]) onlyB++;
        }
        return new Result(onlyA, onlyB, exactP(onlyA, onlyB));
    }

    /** The exact two-sided p-value for discordant counts {@code b} and {@code c}. */
    public static double exactP(int b, int c) {
        if (b < 0 || c < 0) throw new IllegalArgumentException("discordant counts must be >= 0, got " + b + ", " + c);
        if (b + c == 0) return 1.0;
        BinomialDistribution x = new BinomialDistribution(null, b + c, 0.5);
        return Math.min(1.0, 2 * x.cumulativeProbability(Math.min(b, c)));
    }
}
