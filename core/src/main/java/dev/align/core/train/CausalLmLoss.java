package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.align.core.model.PolicyModel;

/** Next-token cross-entropy: L = −Σₜ mₜ · log p(yₜ | x&lt;ₜ) / Σₜ mₜ over a loss mask m. */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /**
     * The loss as a pure function of logits.
     *
     * @param logits (B, T, V); position t−1 predicts label t
     * @param labels (B, T) int64 targets (usually the input ids)
     * @param lossMask (B, T) 1 where label t counts
     * @return scalar mean over counted labels
     */
    public static NDArray fromLogits(NDArray logits, NDArray labels, NDArray lossMask) {
        NDArray logp = PolicyModel.tokenLogProbs(logits, labels, lossMask); // (B, T−1), zero where masked
        NDArray m = lossMask.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false);
        return logp.sum().neg().div(m.sum().maximum(1f));
    }

    /**
     * @param ids (B, T) int64, inputs and labels
     * @param attentionMask (B, T) 1 for real tokens
     * @param lossMask (B, T) 1 for tokens whose prediction counts (e.g. completion only); null = all real tokens
     */
    public static NDArray mean(PolicyModel model, NDArray ids, NDArray attentionMask, NDArray lossMask) {
        return fromLogits(model.logits(ids, attentionMask), ids, lossMask == null ? attentionMask : lossMask);
    }
}
