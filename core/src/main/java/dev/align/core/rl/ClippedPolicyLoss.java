package dev.align.core.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.align.core.model.Scalars;

/**
 * PPO's clipped surrogate objective (Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7) with
 * DAPO's decoupled clip range (Yu et al. 2025, "DAPO", §3.1, clip-higher), per token:
 *
 * <pre>
 *   ρ = exp(log π_θ − log π_old)
 *   ℓ = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A)
 * </pre>
 *
 * As TRL's GRPO {@code _compute_loss} ({@code coef_1}, {@code coef_2}, {@code -torch.min(...)}) and PPO's
 * {@code max(pg_losses, pg_losses2)} (the same number) with ε_low = ε_high = {@code cliprange}. On NDArrays: the
 * gradient flows through log π_θ; it is 0 where the clipped term is the smaller one.
 */
public final class ClippedPolicyLoss {
    private ClippedPolicyLoss() {}

    /**
     * @param logp log π_θ of the sampled tokens (B, T), or (B) for sequence-level ratios (TRL's RLOO)
     * @param oldLogp log π_old of the same tokens, detached, same shape
     * @param advantages A: (B, T), (B, 1), or (B) (one per sequence; unsqueezed to (B, 1) against (B, T), as TRL does)
     * @param epsilonLow ε_low (TRL's {@code epsilon}, or PPO's {@code cliprange}; 0.2)
     * @param epsilonHigh ε_high (TRL's {@code epsilon_high}; DAPO recommends 0.28; = ε_low for symmetric PPO)
     * @return ℓ, the shape of logp, unmasked: aggregate with {@link LossAggregation}
     */
    public static NDArray perToken(NDArray logp, NDArray oldLogp, NDArray advantages, double epsilonLow, double epsilonHigh) {
        NDArray a = perSequence(advantages, logp);
        NDArray ratio = logp.sub(oldLogp).exp();
        NDArray unclipped = ratio.mul(a);
        NDArray clipped = ratio.clip(1 - epsilonLow, 1 + epsilonHigh).mul(a);
        return unclipped.minimum(clipped).neg();
    }

    /**
     * What TRL logs about the ratios, as token means under the mask (Σ m·x / Σ m). Clipping counts only where it
     * bites, i.e. where it zeroes the gradient: ρ &lt; 1 − ε_low with A &lt; 0 (low) or ρ &gt; 1 + ε_high with A &gt; 0
     * (high).
     *
     * @param clipRatioLow TRL GRPO's {@code clip_ratio/low_mean}
     * @param clipRatioHigh {@code clip_ratio/high_mean}
     * @param clipRatio low + high: GRPO's {@code clip_ratio/region_mean}, and PPO's {@code policy/clipfrac_avg}
     *     ({@code pg_losses2 > pg_losses} holds exactly there)
     * @param clipRatioLowMin the smallest per-sequence low fraction, GRPO's {@code clip_ratio/low_min}
     * @param clipRatioHighMax the largest per-sequence high fraction, GRPO's {@code clip_ratio/high_max}
     * @param approxKl ½ (log π_θ − log π_old)², PPO's {@code policy/approxkl_avg}
     * @param ratioMean ρ, PPO's {@code val/ratio}
     */
    public record Statistics(double clipRatioLow, double clipRatioHigh, double clipRatio, double clipRatioLowMin,
            double clipRatioHighMax, double approxKl, double ratioMean) {}

    /**
     * The statistics of {@link #perToken}'s arguments, read to the host in one copy. TRL's PPO averages approxkl and
     * ratio over every position, padding included (where both log-probs hold the same filler, so ½d² = 0 and ρ = 1);
     * pass an all-ones mask to reproduce that, or the completion mask for the mean over real tokens.
     *
     * <p>Sequences without a counted token are left out of the min and max (NaN if there is none), as TRL's
     * {@code nanmin}/{@code nanmax}.
     *
     * @param mask (B, T) 1 for tokens that count; null = every element (sequence-level (B) inputs)
     */
    public static Statistics statistics(NDArray logp, NDArray oldLogp, NDArray advantages, NDArray mask,
            double epsilonLow, double epsilonHigh) {
        NDArray d = logp.sub(oldLogp).stopGradient();
        if (d.getShape().dimension() == 1) d = d.expandDims(1); // (B) → (B, 1): one "token" per sequence
        NDArray a = perSequence(advantages.stopGradient(), d);
        NDArray m = mask == null ? d.onesLike() : LossAggregation.asFloat(mask).reshape(d.getShape());
        NDArray ratio = d.exp();
        NDArray low = ratio.lt(1 - epsilonLow).logicalAnd(a.lt(0f)).toType(m.getDataType(), false);
        NDArray high = ratio.gt(1 + epsilonHigh).logicalAnd(a.gt(0f)).toType(m.getDataType(), false);
        NDArray halfSquare = d.square().mul(Scalars.constant(d, 0.5));
        // (5, B): per-sequence sums of low, high, ρ, ½d² and the mask itself, one host copy
        float[] sums = NDArrays.stack(new NDList(low, high, ratio, halfSquare, m.onesLike())).mul(m)
                .sum(new int[] {2}).toFloatArray();
        int b = sums.length / 5;
        double[] total = new double[5];
        double lowMin = Double.NaN, highMax = Double.NaN; // TRL's nanmin/nanmax skip sequences without tokens
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < 5; k++) total[k] += sums[k * b + i];
            double n = sums[4 * b + i];
            if (n == 0) continue;
            double lowFraction = sums[i] / n, highFraction = sums[b + i] / n;
            lowMin = Double.isNaN(lowMin) ? lowFraction : Math.min(lowMin, lowFraction);
            highMax = Double.isNaN(highMax) ? highFraction : Math.max(highMax, highFraction);
        }
        double n = Math.max(total[4], 1); // TRL's clamp(min=1.0)
        return new Statistics(total[0] / n, total[1] / n, (total[0] + total[1]) / n, lowMin, highMax, total[3] / n,
                total[2] / n);
    }

    /** A per-sequence advantage (B) broadcasts as (B, 1) against (B, T), TRL's {@code advantages.unsqueeze(1)}. */
    private static NDArray perSequence(NDArray advantages, NDArray like) {
        boolean oneEach = advantages.getShape().dimension() == 1 && like.getShape().dimension() == 2;
        return oneEach ? advantages.expandDims(1) : advantages;
    }
}
