package dev.align.core.stats;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Holm's (1979) step-down correction of {@code m} p-values for the family-wise error rate. Sort them
 * {@code p₍₁₎ ≤ … ≤ p₍ₘ₎}; the adjusted values are
 *
 * <pre>
 *   p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1) · p₍ⱼ₎)
 * </pre>
 *
 * monotone in {@code i}, and hypothesis {@code i} is rejected at {@code α} iff {@code p̃ᵢ ≤ α} (the same
 * as stepping down while {@code p₍ᵢ₎ ≤ α/(m − i + 1)}). NaN p-values (no test) stay NaN, are never
 * rejected, and do not count in {@code m}.
 */
public final class Holm {
    private Holm() {}

    /** The adjusted p-values, in the input's order. */
    public static double[] adjust(double[] p) {
        double[] out = new double[p.length];
        Arrays.fill(out, Double.NaN);
        Integer[] order = new Integer[p.length];
        int m = 0;
        for (int i = 0; i < p.length; i++) {
            if (Double.isNaN(p[i])) continue;
            if (p[i] < 0 || p[i] > 1) throw new IllegalArgumentException("p-value outside [0, 1]: " + p[i]);
            order[m++] = i;
        }
        Integer[] tested = Arrays.copyOf(order, m);
        Arrays.sort(tested, Comparator.comparingDouble(i -> p[i])); // stable: ties keep input order
        double running = 0;
        for (int j = 0; j < m; j++) {
            running = Math.max(running, Math.min(1.0, (m - j) * p[tested[j]]));
            out[tested[j]] = running;
        }
        return out;
    }

    /** Which hypotheses are rejected at family-wise level {@code alpha}: adjusted p ≤ alpha. */
    public static boolean[] rejected(double[] p, double alpha) {
        double[] adjusted = adjust(p);
        boolean[] out = new boolean[p.length];
        for (int i = 0; i < p.length; i++) out[i] = adjusted[i] <= alpha;
        return out;
    }
}
