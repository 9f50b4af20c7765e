package dev.align.core.rl;

/**
 * Statistics of detached per-token numbers under a 0/1 mask: TRL's {@code masked_mean}, {@code masked_var} and
 * {@code masked_whiten} (trl/experimental/ppo/ppo_trainer.py). Values and mask are (B, T) row-major arrays of the
 * same length; sums are taken in double.
 */
public final class Masked {
    /** TRL's whitening epsilon: {@code torch.rsqrt(var + 1e-8)}. */
    public static final double WHITEN_EPSILON = 1e-8;

    private Masked() {}

    /** μ = Σ m·x / Σ m. */
    public static double mean(float[] x, float[] mask) {
        checkLengths(x, mask);
        double sum = 0, count = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (double) mask[i] * x[i];
            count += mask[i];
        }
        if (count == 0) throw new IllegalArgumentException("the mask selects no element");
        return sum / count;
    }

    /**
     * σ² = Σ m·(x − μ)² / Σ m, times Bessel's n / (n − 1) with n = Σ m when {@code unbiased} (TRL's default).
     *
     * @throws IllegalArgumentException when unbiased and n ≤ 1 (TRL raises for n = 0 and divides by zero for n = 1)
     */
    public static double variance(float[] x, float[] mask, boolean unbiased) {
        double mu = mean(x, mask);
        double sum = 0, count = 0;
        for (int i = 0; i < x.length; i++) {
            double c = x[i] - mu;
            sum += mask[i] * c * c;
            count += mask[i];
        }
        double variance = sum / count;
        if (!unbiased) return variance;
        if (count <= 1) throw new IllegalArgumentException("an unbiased variance needs more than one masked element, got "
                + count + " (use a larger mini-batch)");
        return variance * count / (count - 1);
    }

    /**
     * Whitening, TRL's {@code masked_whiten}: (x − μ) / √(σ² + 1e-8) with μ and the unbiased σ² over the mask, plus μ
     * again when {@code shiftMean} is false (rewards keep their mean; advantages do not). Positions outside the mask
     * come back as 0, as TRL's callers fill them with {@code masked_fill(…, 0)}.
     */
    public static float[] whiten(float[] x, float[] mask, boolean shiftMean) {
        double mu = mean(x, mask);
        double scale = 1 / Math.sqrt(variance(x, mask, true) + WHITEN_EPSILON);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            if (mask[i] == 0) continue;
            double w = (x[i] - mu) * scale;
            out[i] = (float) (shiftMean ? w : w + mu);
        }
        return out;
    }

    static void checkLengths(float[] x, float[] mask) {
        if (x.length != mask.length) throw new IllegalArgumentException("values have " + x.length
                + " elements but the mask has " + mask.length);
    }
}
