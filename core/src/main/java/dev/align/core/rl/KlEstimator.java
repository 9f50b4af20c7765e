package dev.align.core.rl;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.Scalars;
import java.util.Locale;

/**
 * Per-token Monte Carlo estimates of KL(π ‖ π_ref) from the log-probs of tokens sampled from π (Schulman 2020,
 * "Approximating KL Divergence", http://joschu.net/blog/kl-approx.html). With r = log π_ref − log π:
 *
 * <pre>
 *   k1 = −r                 unbiased, high variance, can be negative
 *   k2 = ½ r²               biased, low variance, ≥ 0
 *   k3 = (eʳ − 1) − r       unbiased, low variance, ≥ 0
 * </pre>
 *
 * As OpenRLHF's {@code compute_approx_kl} (k1, k2, k3) and TRL's PPO {@code kl_estimator} (k1, k3) and GRPO's
 * {@code per_token_kl} (k3). On NDArrays: GRPO adds β·k3 to the per-token loss, so gradients flow through log π.
 */
public enum KlEstimator {
    K1,
    K2,
    K3;

    /**
     * @param logp log π of the sampled tokens, any shape
     * @param refLogp log π_ref of the same tokens, same shape
     * @return the estimate per element, same shape (unmasked)
     */
    public NDArray of(NDArray logp, NDArray refLogp) {
        return switch (this) {
            case K1 -> logp.sub(refLogp);
            case K2 -> logp.sub(refLogp).square().mul(Scalars.constant(logp, 0.5));
            case K3 -> {
                NDArray r = refLogp.sub(logp);
                yield r.exp().sub(r).sub(1f); // TRL's GRPO order: exp(r) − r − 1
            }
        };
    }

    public static KlEstimator parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kl_estimator '" + name + "': expected k1, k2 or k3");
        }
    }

    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
