package dev.align.core.logprob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.align.core.model.Scalars;
import java.util.List;

/**
 * Per-token log-probabilities of given tokens, with the mask that says which of them count, and the
 * padding rule that decides it (defined here once; every method uses it).
 *
 * <p><b>The rule.</b> For token ids (B, T) and an attention mask (B, T) (1 for real tokens, 0 for
 * padding on either side), column t−1 holds log p(ids[t] | ids[&lt;t]) and counts only where both
 * ids[t] and ids[t−1] are real. The first real token of a row has no real token to be predicted
 * from (in a left-padded row its predecessor is padding), so it never counts; neither does anything
 * predicted from or at padding. Results are aligned with {@code ids[:, 1:]}: shape (B, T−1).
 * Uncounted entries are exactly 0, so a row's sum needs no further mask.
 *
 * @param logProbs (B, N) float32 log softmax(z/τ)[target], 0 where not counted
 * @param mask (B, N) float32, 1 where counted
 * @param entropy (B, N) float32 entropy of softmax(z/τ), 0 where not counted; null unless asked for
 */
public record TokenLogProbs(NDArray logProbs, NDArray mask, NDArray entropy) {

    /** Σₜ log p over the counted tokens of each row: (B), log π(y|x) of a response. */
    public NDArray sum() {
        return logProbs.sum(new int[] {1});
    }

    /** Counted tokens per row: (B) float32. */
    public NDArray count() {
        return mask.sum(new int[] {1});
    }

    /** Length-normalised log-prob per row, sum / max(count, 1): (B). */
    public NDArray mean() {
        return sum().div(count().maximum(1f));
    }

    /** Rows [from, to). */
    public TokenLogProbs rows(long from, long to) {
        NDIndex r = new NDIndex("{}:{}", from, to);
        return new TokenLogProbs(logProbs.get(r), mask.get(r), entropy == null ? null : entropy.get(r));
    }

    /**
     * The padding rule: (B, T) attention, optionally a (B, T) loss mask, → (B, T−1) float32 aligned
     * with {@code ids[:, 1:]}: attention[t] · attention[t−1] · lossMask[t].
     *
     * @param lossMask 1 where token t is a training target (e.g. a completion token); null for every real token
     */
    public static NDArray targetMask(NDArray attention, NDArray lossMask) {
        NDArray real = attention.toType(DataType.FLOAT32, false);
        NDArray mask = targets(real).mul(predicting(real)); // (B, T−1): token and predecessor real
        return lossMask == null ? mask : mask.mul(targets(lossMask).toType(DataType.FLOAT32, false));
    }

    /** x[:, :−1]: the positions (of logits, hidden states or masks) that predict {@code ids[:, 1:]}. */
    public static NDArray predicting(NDArray x) {
        return x.get(new NDIndex(":, :-1"));
    }

    /** x[:, 1:]: the predicted tokens. */
    public static NDArray targets(NDArray x) {
        return x.get(new NDIndex(":, 1:"));
    }

    /**
     * Log-probs of every token after the first, from logits over the whole sequence.
     *
     * @param logits (B, T, V); position t−1 predicts ids[t]
     * @param ids (B, T) int64
     * @param attention (B, T) 1 for real tokens
     * @param lossMask (B, T) 1 where a token counts, or null for every real token
     * @return (B, T−1), aligned with {@code ids[:, 1:]}
     */
    public static TokenLogProbs fromLogits(NDArray logits, NDArray ids, NDArray attention, NDArray lossMask,
            double temperature, boolean entropy) {
        return ofTargets(predicting(logits), targets(ids), targetMask(attention, lossMask), temperature, entropy);
    }

    /**
     * Log-probs of targets under logits that predict them position by position.
     *
     * @param logits (B, N, V) logits predicting each target
     * @param targets (B, N) int64
     * @param mask (B, N) float32, 1 where a target counts
     */
    public static TokenLogProbs ofTargets(NDArray logits, NDArray targets, NDArray mask, double temperature,
            boolean entropy) {
        NDArray logp = logSoftmax(logits, temperature); // (B, N, V)
        NDArray picked = logp.gather(targets.toType(DataType.INT64, false).expandDims(-1), -1).squeeze(-1); // (B, N)
        return new TokenLogProbs(picked.mul(mask), mask, entropy ? entropy(logp).mul(mask) : null);
    }

    /** log softmax(z / τ) over the last axis; τ = 1 skips the division. */
    public static NDArray logSoftmax(NDArray logits, double temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        return (temperature == 1.0 ? logits : logits.div(Scalars.constant(logits, temperature))).logSoftmax(-1);
    }

    /** H = −Σᵥ p(v) log p(v) over the last axis, from log-probabilities (..., V) → (...). */
    public static NDArray entropy(NDArray logp) {
        return logp.exp().mul(logp).sum(new int[] {-1}).neg();
    }

    /** Rows of several results, in order, as one. */
    static TokenLogProbs concat(List<TokenLogProbs> parts) {
        if (parts.size() == 1) return parts.get(0);
        NDList lp = new NDList(), m = new NDList(), h = new NDList();
        for (TokenLogProbs p : parts) {
            lp.add(p.logProbs);
            m.add(p.mask);
            if (p.entropy != null) h.add(p.entropy);
        }
        return new TokenLogProbs(NDArrays.concat(lp), NDArrays.concat(m), h.isEmpty() ? null : NDArrays.concat(h));
    }

    /** Keeps the arrays past the innermost {@link NDScope}. */
    void unregister() {
        NDScope.unregister(logProbs, mask);
        if (entropy != null) NDScope.unregister(entropy);
    }

    void close() {
        logProbs.close();
        mask.close();
        if (entropy != null) entropy.close();
    }
}
