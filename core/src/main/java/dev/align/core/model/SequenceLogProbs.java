package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * log π(y | x) = Σₜ log π(yₜ | x, y&lt;ₜ) over a sequence's target tokens (a response after its prompt),
 * the quantity DPO's implicit reward and PPO's ratios are built from.
 */
public final class SequenceLogProbs {
    private SequenceLogProbs() {}

    /**
     * @param ids (B, T) token ids
     * @param attention (B, T) 1 for real tokens
     * @param targets (B, T) 1 where token t is a target (its log-prob is counted)
     * @return (B) summed log-probs of the target tokens
     */
    public static NDArray sum(PolicyModel model, NDArray ids, NDArray attention, NDArray targets) {
        return sum(model.tokenLogProbs(ids, attention), targets);
    }

    /** Sums per-token log-probs (B, T−1), which predict ids[:, 1:], over the targets (B, T). */
    public static NDArray sum(NDArray tokenLogProbs, NDArray targets) {
        return tokenLogProbs.mul(targetMask(targets)).sum(new int[] {1});
    }

    /** Number of target tokens per row: (B) float32. */
    public static NDArray count(NDArray targets) {
        return targetMask(targets).sum(new int[] {1});
    }

    private static NDArray targetMask(NDArray targets) {
        return targets.get(new NDIndex(":, 1:")).toType(DataType.FLOAT32, false); // (B, T−1)
    }
}
