package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;

/**
 * Next-token cross-entropy: L = −Σₜ mₜ · log p(yₜ | x&lt;ₜ) / Σₜ mₜ over the counted tokens m
 * ({@link TokenLogProbs}'s padding rule times a loss mask).
 */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /** The loss of per-token log-probs: scalar mean of −log p over the counted tokens (0 when none count). */
    public static NDArray of(TokenLogProbs logProbs) {
        return logProbs.logProbs().sum().neg().div(logProbs.mask().sum().maximum(1f));
    }

    /**
     * The loss as a pure function of logits.
     *
     * @param logits (B, T, V); position t−1 predicts label t
     * @param ids (B, T) int64 inputs, also the labels
     * @param attention (B, T) 1 for real tokens
     * @param lossMask (B, T) 1 where label t counts (e.g. completion only); null = every real token
     * @return scalar mean over counted labels
     */
    public static NDArray fromLogits(NDArray logits, NDArray ids, NDArray attention, NDArray lossMask) {
        return of(TokenLogProbs.fromLogits(logits, ids, attention, lossMask, 1.0, false));
    }

    /**
     * @param ids (B, T) int64, inputs and labels
     * @param attentionMask (B, T) 1 for real tokens
     * @param lossMask (B, T) 1 for tokens whose prediction counts (e.g. completion only); null = all real tokens
     */
    public static NDArray mean(PolicyModel model, NDArray ids, NDArray attentionMask, NDArray lossMask) {
        return fromLogits(model.logits(ids, attentionMask), ids, attentionMask, lossMask);
    }
}
