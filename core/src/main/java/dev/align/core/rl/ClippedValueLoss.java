package dev.align.core.rl;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.Scalars;

/**
 * PPO's clipped value loss (Schulman et al. 2017's released baselines; TRL's PPO {@code vf_losses1/2}), per token:
 *
 * <pre>
 *   V_clip = clip(V, V_old − ε_v, V_old + ε_v)      computed as V_old + clip(V − V_old, −ε_v, ε_v)
 *   ℓ = ½ · max((V − R)², (V_clip − R)²)
 * </pre>
 *
 * TRL's {@code vf_loss = 0.5 * masked_mean(max(vf_losses1, vf_losses2))} is {@link LossAggregation#bnpo} of ℓ.
 * On NDArrays: the gradient flows through V.
 */
public final class ClippedValueLoss {
    private ClippedValueLoss() {}

    /**
     * @param values V (B, T), the value head now, with gradient
     * @param oldValues V_old (B, T), the value head at rollout time, detached
     * @param returns R (B, T), GAE's returns ({@link Gae}), detached
     * @param clipRange ε_v, TRL's {@code cliprange_value} (0.2)
     * @return ℓ (B, T), unmasked
     */
    public static NDArray perToken(NDArray values, NDArray oldValues, NDArray returns, double clipRange) {
        NDArray clipped = values.sub(oldValues).clip(-clipRange, clipRange).add(oldValues);
        NDArray unclippedLoss = values.sub(returns).square();
        NDArray clippedLoss = clipped.sub(returns).square();
        return unclippedLoss.maximum(clippedLoss).mul(Scalars.constant(unclippedLoss, 0.5));
    }

    /**
     * TRL's {@code val/clipfrac_avg}: Σ m·[(V_clip − R)² &gt; (V − R)²] / max(Σ m, 1), the fraction of tokens whose
     * loss the clipped term sets (and whose gradient is then 0).
     */
    public static double clipFraction(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, double clipRange) {
        NDArray v = values.stopGradient();
        NDArray clipped = v.sub(oldValues).clip(-clipRange, clipRange).add(oldValues);
        NDArray m = LossAggregation.asFloat(mask);
        NDArray larger = clipped.sub(returns).square().gt(v.sub(returns).square()).toType(m.getDataType(), false);
        float[] sums = larger.mul(m).sum().stack(m.sum()).toFloatArray();
        return sums[0] / Math.max(sums[1], 1.0);
    }
}
