package dev.align.core.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Picks the next token of every row on the device: the logits never leave it, nothing sorts the
 * vocabulary, and two small arrays (B) come back per step. Randomness enters as one uniform number per
 * row per round, drawn on the host from the row's own generator, so a row's tokens do not depend on the
 * other rows.
 *
 * <p>Inverse-CDF selection: with weights w over the kept tokens (in vocabulary order, any order gives
 * the same distribution) and u ~ U[0, 1), the token is the first i with cumsum(w)ᵢ &gt; u·Σw.
 *
 * <p>The kept set, in HF's order (temperature → top-k → top-p → min-p), is a prefix of the tokens sorted
 * by probability: top-k keeps k, top-p on the renormalised top-k distribution p' keeps token j while the
 * mass strictly above it is below p (Σ_{i&lt;j} p'ᵢ &lt; top_p), min-p keeps pⱼ ≥ min_p·p₁.
 * <ul>
 *   <li>With top-k: {@code topk} gives the k best sorted (one partial pass over V); the rest is (B, k).
 *   <li>Without top-k, top-p by rejection (no sort): draw j from the candidates; accept it when the mass
 *       of tokens more probable than j is below top_p, else every token at most as probable as j is
 *       outside the set too, so drop them and draw again. Accepted draws follow p restricted to the set;
 *       each round accepts with probability ≥ top_p, so about one round suffices.
 * </ul>
 */
final class TokenSampler {
    /** The uniform in [0, 1) for a row's next draw. */
    interface Uniforms {
        float next(int row);
    }

    /** Per row: the token and its log-prob under softmax(logits / temperature). */
    record Choice(long[] tokens, float[] logProbs) {}

    /** Columns per block of the two-level inverse CDF. */
    static final int BLOCK = 256;

    private static final NDIndex LAST = new NDIndex(":, -1:");
    private static final int[] ROW = {1};

    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final int block;

    TokenSampler(float temperature, int topK, float topP, float minP) {
        this(temperature, topK, topP, minP, BLOCK);
    }

    /** With another block width for the inverse CDF (tests compare widths). */
    TokenSampler(float temperature, int topK, float topP, float minP, int block) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.block = block;
    }

    static TokenSampler of(RolloutConfig c) {
        return new TokenSampler(c.temperature(), c.topK(), c.topP(), c.minP());
    }

    /**
     * @param logits (B, V) float32
     * @param live rows that need a token; other rows draw no numbers and get an arbitrary token
     */
    Choice sample(NDArray logits, boolean[] live, Uniforms uniforms) {
        long vocab = logits.getShape().get(1);
        if (temperature == 0f) { // greedy: exact argmax; log-prob at temperature 1
            NDArray token = logits.argMax(1).reshape(-1, 1); // (B, 1)
            NDArray logp = logits.logSoftmax(1).gather(token, 1);
            return new Choice(token.toLongArray(), logp.toFloatArray());
        }
        NDArray scaled = temperature == 1f ? logits : logits.div(temperature);
        if (topK > 0 && topK < vocab) return topK(scaled, live, uniforms);
        return rejection(scaled, live, uniforms);
    }

    /** top-k, then top-p and min-p on the (B, k) sorted slice. */
    private Choice topK(NDArray scaled, boolean[] live, Uniforms uniforms) {
        NDList top = scaled.topK(topK, 1, true, true);
        NDArray values = top.get(0); // (B, k) descending
        NDArray indices = top.get(1); // (B, k) int64
        NDArray p = values.softmax(1); // p': the top-k distribution renormalised
        NDArray keep = null;
        if (topP < 1f) keep = p.cumSum(1).sub(p).lt(topP); // mass strictly above < top_p
        if (minP > 0f) {
            NDArray keepMin = p.gte(p.get(new NDIndex(":, :1")).mul(minP));
            keep = keep == null ? keepMin : keep.logicalAnd(keepMin);
        }
        NDArray w = keep == null ? p : p.mul(keep); // (B, k): a prefix is kept
        NDArray position = pick(w, drawn(IntStream.range(0, live.length).toArray(), live, uniforms)); // (B, 1)
        NDArray token = indices.gather(position, 1);
        NDArray logp = scaled.logSoftmax(1).gather(token, 1);
        return new Choice(token.toLongArray(), logp.toFloatArray());
    }

    /**
     * Over the whole vocabulary: min-p as a mask, top-p by rejection rounds. The first round covers the
     * batch; each later one only the rows still pending, gathered with one index op per array (with 64
     * rows some row almost always needs a second round, and a round over all rows would cost as much as
     * the first). Every row's pick depends only on its own weights and uniforms, so which other rows share
     * a round changes nothing.
     */
    private Choice rejection(NDArray scaled, boolean[] live, Uniforms uniforms) {
        int rows = live.length;
        NDArray probs = scaled.softmax(1); // (B, V)
        NDArray logProbs = scaled.logSoftmax(1); // (B, V): log(probs) loses the tail to float32 rounding
        NDArray weights = minP > 0f ? probs.mul(probs.gte(probs.max(new int[] {1}, true).mul(minP))) : probs;
        long[] tokens = new long[rows];
        float[] chosenLogProbs = new float[rows];
        int[] rowOf = IntStream.range(0, rows).toArray(); // the batch row of each row in this round
        NDArray pivot = null; // (R, 1): candidates must be more probable than this
        while (true) {
            int n = rowOf.length;
            NDArray w = pivot == null ? weights : weights.mul(probs.gt(pivot)); // (R, V)
            NDArray token = pick(w, drawn(rowOf, live, uniforms)); // (R, 1)
            NDArray p = probs.gather(token, 1); // (R, 1)
            long[] picked = token.toLongArray();
            float[] pv = p.toFloatArray();
            float[] logPv = logProbs.gather(token, 1).toFloatArray();
            float[] above = null; // mass strictly above each row's token, when some row needs the check
            if (topP < 1f && !surelyKept(pv, rowOf, live)) above = probs.mul(probs.gt(p)).sum(ROW, true).toFloatArray();
            int pending = 0; // rejected rows move to the front of rowOf, their pivots to the front of pv
            long[] select = new long[n];
            for (int i = 0; i < n; i++) {
                int r = rowOf[i];
                if (!live[r]) continue;
                if (above == null || above[i] < topP) {
                    tokens[r] = picked[i];
                    chosenLogProbs[r] = logPv[i];
                } else {
                    select[pending] = i;
                    rowOf[pending] = r;
                    pv[pending++] = pv[i];
                }
            }
            if (pending == 0) return new Choice(tokens, chosenLogProbs);
            rowOf = Arrays.copyOf(rowOf, pending);
            NDManager manager = scaled.getManager();
            NDIndex still = new NDIndex("{}", manager.create(Arrays.copyOf(select, pending))); // (R') rows
            boolean masked = weights != probs;
            probs = probs.get(still); // (R', V)
            weights = masked ? weights.get(still) : probs;
            logProbs = logProbs.get(still);
            pivot = manager.create(Arrays.copyOf(pv, pending), new Shape(pending, 1)); // (R', 1): exactly p's values
        }
    }

    /** The uniform of each row of a round: the batch row's next number if it is live, else 0 (unused). */
    private static float[] drawn(int[] rowOf, boolean[] live, Uniforms uniforms) {
        float[] u = new float[rowOf.length];
        for (int i = 0; i < rowOf.length; i++) u[i] = live[rowOf[i]] ? uniforms.next(rowOf[i]) : 0f;
        return u;
    }

    /**
     * Whether every live row's token is in the top-p set without looking: the mass above a token of
     * probability q is at most 1 − q, below top_p when q &gt; 1 − top_p (with a margin for rounding). Peaked
     * distributions, typical of trained models, then skip the pass over the vocabulary.
     */
    private boolean surelyKept(float[] p, int[] rowOf, boolean[] live) {
        for (int i = 0; i < p.length; i++) {
            if (live[rowOf[i]] && p[i] <= 1f - topP + 1e-5f) return false;
        }
        return true;
    }

    /**
     * Inverse CDF: per row, the first column whose cumulative weight exceeds u·Σw, u = drawn[row].
     * (B, N) → (B, 1) int64.
     * Wide rows (at least 64 blocks) go in two levels, so that only one reduction reads the whole row: the
     * block of {@link #BLOCK} columns where the cumulative block mass passes u·Σw, then the column inside
     * it (measured at batch 8: faster from vocabulary 32k, slower at 8k than the one-level cumsum).
     */
    private NDArray pick(NDArray w, float[] drawn) {
        int rows = drawn.length;
        long columns = w.getShape().get(1);
        NDArray u = w.getManager().create(drawn, new Shape(rows, 1));
        if (columns < 64L * block || columns % block != 0) { // narrow rows: one level is fewer ops
            NDArray cdf = w.cumSum(1); // (B, N)
            return cdf.lte(cdf.get(LAST).mul(u)).sum(ROW, true).minimum(columns - 1);
        }
        long blocks = columns / block;
        NDArray mass = w.reshape(rows, blocks, block).sum(new int[] {2}); // (B, N/BLOCK)
        NDArray cdf = mass.cumSum(1);
        NDArray target = cdf.get(LAST).mul(u); // (B, 1)
        NDArray chosen = cdf.lte(target).sum(ROW, true).minimum(blocks - 1); // (B, 1) block index
        NDArray before = cdf.sub(mass).gather(chosen, 1); // mass of the blocks before it
        NDArray cols = chosen.mul(block).add(w.getManager().arange(0L, (long) block, 1L, DataType.INT64)); // (B, BLOCK)
        NDArray inner = w.gather(cols, 1).cumSum(1); // (B, BLOCK)
        // before + inner rounds differently from cdf, so the target within the block may fall below 0 or
        // reach the block's total: the first column past max(0, target − before), but no later than the
        // block's last column of positive weight (the first where inner reaches its total). Either way
        // the column's weight is positive (the chosen block's mass is).
        NDArray past = inner.lte(target.sub(before).maximum(0f)).sum(ROW, true); // (B, 1)
        NDArray lastPositive = inner.lt(inner.get(LAST)).sum(ROW, true); // (B, 1)
        return cols.gather(past.minimum(lastPositive), 1);
    }
}
