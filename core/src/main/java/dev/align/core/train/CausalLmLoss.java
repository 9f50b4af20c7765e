package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.align.core.model.PolicyModel;

/** Next-token cross-entropy: L = −Σₜ mₜ · log p(xₜ | x&lt;ₜ) / Σₜ mₜ over a loss mask m. */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /**
     * @param ids (B, T) int64
     * @param attentionMask (B, T) 1 for real tokens
     * @param lossMask (B, T) 1 for tokens whose prediction counts (e.g. completion only); null = all real tokens
     * @return scalar mean loss over counted tokens
     */
    public static NDArray mean(PolicyModel model, NDArray ids, NDArray attentionMask, NDArray lossMask) {
        NDArray logp = model.tokenLogProbs(ids, attentionMask); // (B, T−1)
        NDArray m = (lossMask == null ? attentionMask : lossMask).get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false);
        return logp.mul(m).sum().neg().div(m.sum().maximum(1f));
    }
}
