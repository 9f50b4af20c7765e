package dev.align.core.stats;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The Wilson score interval for a binomial proportion (Wilson, 1927; Brown, Cai and DasGupta, 2001):
 * with {@code p = k/n} and {@code z} the normal quantile {@code Φ⁻¹(1 − (1 − level)/2)},
 *
 * <pre>
 *   centre    = (p + z²/(2n)) / (1 + z²/n)
 *   halfWidth = z / (1 + z²/n) · √( p(1 − p)/n + z²/(4n²) )
 *   interval  = [centre − halfWidth, centre + halfWidth]
 * </pre>
 *
 * Unlike the normal (Wald) interval it stays inside [0, 1] and is not degenerate at {@code k = 0} or
 * {@code k = n}, which is where capitulation rates of well-trained models live.
 */
public final class Wilson {
    public static final double DEFAULT_LEVEL = 0.95;
    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private Wilson() {}

    /** The 95% interval. */
    public static Interval interval(int successes, int n) {
        return interval(successes, n, DEFAULT_LEVEL);
    }

    /**
     * The interval at {@code level} (in (0, 1)) for {@code successes} of {@code n}. With {@code n = 0}
     * there is no information: the interval is {@link Interval#UNDEFINED} (NaN, NaN).
     */
    public static Interval interval(int successes, int n, double level) {
        if (n < 0 || successes < 0 || successes > n) {
            throw new IllegalArgumentException("need 0 <= successes <= n, got " + successes + " of " + n);
        }
        if (n == 0) return Interval.UNDEFINED;
        double z = z(level);
        double p = successes / (double) n;
        double z2n = z * z / n;
        double centre = (p + z2n / 2) / (1 + z2n);
        double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / n + z2n / (4.0 * n));
        // Rounding may leave k = 0 or k = n a hair outside [0, 1].
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
    }

    /** The two-sided normal quantile for {@code level}: 1.959964 for 0.95. */
    public static double z(double level) {
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        return STANDARD_NORMAL.inverseCumulativeProbability(1 - (1 - level) / 2);
    }
}
