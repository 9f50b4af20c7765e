package dev.align.core.logprob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * The online-RL layout (PPO, GRPO, RLOO): each row is a prompt left-padded to P columns followed by
 * its sampled completion right-padded to C columns, as TRL builds {@code query_responses} and
 * {@code cat([prompt_ids, completion_ids], 1)}:
 *
 * <pre>  [pad pad p₀ p₁ p₂ | c₀ c₁ c₂ pad]   P = 5, C = 4</pre>
 *
 * Completion token c is predicted at column P−1+c, so the C predicting positions are columns
 * P−1 … P+C−2 ({@code logits[:, P-1:-1]} in TRL); only they need the language-model head.
 *
 * @param promptIds (B, P) int64, left-padded
 * @param promptMask (B, P) 1 for real prompt tokens
 * @param completionIds (B, C) int64, right-padded
 * @param completionMask (B, C) 1 for completion tokens (those that are attended to and scored,
 *     e.g. up to and including EOS)
 */
public record CompletionBatch(NDArray promptIds, NDArray promptMask, NDArray completionIds, NDArray completionMask) {

    /** Builds the layout from token-id rows (prompts and completions of equal count). */
    public static CompletionBatch of(NDManager manager, List<int[]> prompts, List<int[]> completions, int padId) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        NDArray[] p = padded(manager, prompts, padId, true), c = padded(manager, completions, padId, false);
        return new CompletionBatch(p[0], p[1], c[0], c[1]);
    }

    public long rows() {
        return promptIds.getShape().get(0);
    }

    /** P. */
    public long promptLength() {
        return promptIds.getShape().get(1);
    }

    /** C. */
    public long completionLength() {
        return completionIds.getShape().get(1);
    }

    /** (B, P+C) token ids. */
    public NDArray ids() {
        return promptIds.concat(completionIds, 1);
    }

    /** (B, P+C) attention mask. */
    public NDArray attention() {
        return promptMask.concat(completionMask, 1);
    }

    /** Hidden states (B, P+C, H) → the C positions that predict the completion tokens, (B, C, H). */
    public NDArray predicting(NDArray hidden) {
        long p = promptLength();
        return hidden.get(new NDIndex(":, {}:{}", p - 1, p + completionLength() - 1));
    }

    /**
     * (B, C) float32: which completion tokens count, by {@link TokenLogProbs}'s rule (a token and
     * its predecessor real). The first completion token's predecessor is the prompt's last column.
     */
    public NDArray targetMask() {
        NDArray last = promptMask.get(new NDIndex(":, -1:")); // (B, 1)
        return TokenLogProbs.targetMask(last.concat(completionMask, 1), null); // (B, C)
    }

    /** Rows [from, to). */
    public CompletionBatch rows(long from, long to) {
        NDIndex r = new NDIndex("{}:{}", from, to);
        return new CompletionBatch(promptIds.get(r), promptMask.get(r), completionIds.get(r), completionMask.get(r));
    }

    private static NDArray[] padded(NDManager manager, List<int[]> rows, int padId, boolean left) {
        int t = Math.max(1, rows.stream().mapToInt(r -> r.length).max().orElse(1));
        long[] ids = new long[rows.size() * t], mask = new long[rows.size() * t];
        java.util.Arrays.fill(ids, padId);
        for (int b = 0; b < rows.size(); b++) {
            int[] r = rows.get(b);
            int off = left ? t - r.length : 0;
            for (int i = 0; i < r.length; i++) {
                ids[b * t + off + i] = r[i];
                mask[b * t + off + i] = 1;
            }
        }
        Shape s = new Shape(rows.size(), t);
        return new NDArray[] {manager.create(ids, s), manager.create(mask, s)};
    }
}
