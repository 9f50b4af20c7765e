package dev.align.core.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.align.core.model.Scalars;
import java.util.Locale;

/**
 * How per-token losses ℓ (B, T) under a completion mask m (B, T) become one scalar: TRL's GRPO {@code loss_type}
 * (trl/trainer/grpo_trainer.py, {@code _compute_loss}). They differ in how a sequence's length weighs on its tokens.
 * On NDArrays, differentiable in ℓ; the mask may be any numeric type.
 *
 * <p>Gradient accumulation: TRL divides GRPO, BNPO and DR_GRPO by the accumulation steps G and not DAPO, whose
 * denominator already counts the whole optimizer step. Under a loop that divides every micro-batch loss by G (as
 * {@code Trainer} does), pass DAPO's {@code activeTokens} divided by G.
 */
public enum LossAggregation {
    /** Per-sequence token mean, then mean over sequences (Shao et al. 2024, eq. 3). */
    GRPO,
    /** Token sum over token count of the micro-batch (TRL's {@code bnpo}; PPO's {@code masked_mean}). */
    BNPO,
    /**
     * Token sum over the active tokens of the whole global batch (Yu et al. 2025, "DAPO", §3.3, token-level policy
     * gradient loss). TRL's default.
     */
    DAPO,
    /**
     * Token sum over B · max_completion_length, a constant (Dr. GRPO: Liu et al. 2025, "Understanding R1-Zero-Like
     * Training").
     */
    DR_GRPO;

    /**
     * @param perToken ℓ (B, T)
     * @param mask m (B, T), 1 for completion tokens that count
     * @param activeTokens DAPO only: Σ m over every micro-batch of the optimizer step (TRL's {@code num_items_in_batch})
     * @param maxCompletionLength DR_GRPO only: L, TRL's {@code max_completion_length}
     * @return scalar loss
     */
    public NDArray apply(NDArray perToken, NDArray mask, double activeTokens, int maxCompletionLength) {
        return switch (this) {
            case GRPO -> grpo(perToken, mask);
            case BNPO -> bnpo(perToken, mask);
            case DAPO -> dapo(perToken, mask, activeTokens);
            case DR_GRPO -> drGrpo(perToken, mask, maxCompletionLength);
        };
    }

    /** (1/B) Σ_b [Σₜ m_bt ℓ_bt / max(Σₜ m_bt, 1)]: every sequence weighs the same, whatever its length. */
    public static NDArray grpo(NDArray perToken, NDArray mask) {
        NDArray m = asFloat(mask);
        return perToken.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1f)).mean();
    }

    /** Σ m ℓ / max(Σ m, 1): every token of the micro-batch weighs the same. */
    public static NDArray bnpo(NDArray perToken, NDArray mask) {
        NDArray m = asFloat(mask);
        return perToken.mul(m).sum().div(m.sum().maximum(1f));
    }

    /** Σ m ℓ / max(N, 1), N the active tokens of the global batch: every token of the step weighs the same. */
    public static NDArray dapo(NDArray perToken, NDArray mask, double activeTokens) {
        return perToken.mul(asFloat(mask)).sum().div(Scalars.constant(perToken, Math.max(activeTokens, 1)));
    }

    /** Σ m ℓ / (B · L): no length normalisation at all (a constant denominator). */
    public static NDArray drGrpo(NDArray perToken, NDArray mask, int maxCompletionLength) {
        long b = perToken.getShape().get(0);
        return perToken.mul(asFloat(mask)).sum().div(Scalars.constant(perToken, b * (double) maxCompletionLength));
    }

    public static LossAggregation parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("loss_type '" + name + "': expected grpo, bnpo, dapo or dr_grpo");
        }
    }

    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static NDArray asFloat(NDArray mask) {
        return mask.getDataType() == DataType.FLOAT32 ? mask : mask.toType(DataType.FLOAT32, false);
    }
}
