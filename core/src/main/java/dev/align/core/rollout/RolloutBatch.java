package dev.align.core.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Rollouts laid out for training, as TRL's GRPO and PPO trainers hold them: prompts left-padded to P
 * columns, then completions right-padded to C columns.
 *
 * <pre>
 *   ids             (N, P+C) int64   pad | prompt | completion | pad
 *   attentionMask   (N, P+C) int64   0   | 1      | 1          | 0
 *   completionMask  (N, C)   float   1 on completion tokens, 0 on padding
 *   logProbs        (N, C)   float   sampling log-probs, 0 on padding
 * </pre>
 * Host arrays are row-major; the {@code (NDManager)} methods copy them to the device.
 */
public record RolloutBatch(int rows, int promptColumns, int completionColumns, long[] ids, long[] attentionMask,
        float[] completionMask, float[] logProbs) {

    public static RolloutBatch of(List<Rollout> rollouts, int padId) {
        int n = rollouts.size();
        int p = rollouts.stream().mapToInt(r -> r.promptIds().length).max().orElse(0);
        int c = rollouts.stream().mapToInt(r -> r.completionIds().length).max().orElse(0);
        int width = p + c;
        long[] ids = new long[n * width];
        long[] mask = new long[n * width];
        float[] completionMask = new float[n * c];
        float[] logProbs = new float[n * c];
        Arrays.fill(ids, padId);
        for (int r = 0; r < n; r++) {
            Rollout ro = rollouts.get(r);
            int[] prompt = ro.promptIds();
            int[] completion = ro.completionIds();
            for (int i = 0; i < prompt.length; i++) {
                ids[r * width + p - prompt.length + i] = prompt[i];
                mask[r * width + p - prompt.length + i] = 1;
            }
            for (int i = 0; i < completion.length; i++) {
                ids[r * width + p + i] = completion[i];
                mask[r * width + p + i] = 1;
                completionMask[r * c + i] = 1f;
                logProbs[r * c + i] = ro.logProbs()[i];
            }
        }
        return new RolloutBatch(n, p, c, ids, mask, completionMask, logProbs);
    }

    /** (N, P+C) int64. */
    public NDArray ids(NDManager manager) {
        return manager.create(ids, new Shape(rows, promptColumns + completionColumns));
    }

    /** (N, P+C) int64. */
    public NDArray attentionMask(NDManager manager) {
        return manager.create(attentionMask, new Shape(rows, promptColumns + completionColumns));
    }

    /** (N, C) float32. */
    public NDArray completionMask(NDManager manager) {
        return manager.create(completionMask, new Shape(rows, completionColumns));
    }

    /** (N, C) float32. */
    public NDArray logProbs(NDManager manager) {
        return manager.create(logProbs, new Shape(rows, completionColumns));
    }
}
