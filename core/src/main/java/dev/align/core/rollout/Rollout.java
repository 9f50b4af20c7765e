package dev.align.core.rollout;

import java.util.Arrays;

/**
 * One sampled completion.
 *
 * @param promptIndex {@link Prompt#index()} of its prompt
 * @param sampleIndex which of the prompt's {@code num_generations} samples, from 0
 * @param promptIds the prompt's token ids
 * @param completionIds generated token ids, including the final EOS token or the tokens that completed a
 *     stop string
 * @param logProbs log-probability of each completion token under the sampling distribution (logits /
 *     temperature, before top-k/top-p/min-p), as TRL uses for PPO; at temperature 1 for greedy decoding
 * @param finishReason eos, stop or length
 * @param text the completion decoded without special tokens (nor a final EOS), cut before a stop string
 */
public record Rollout(long promptIndex, int sampleIndex, int[] promptIds, int[] completionIds, float[] logProbs,
        FinishReason finishReason, String text) {

    /** Prompt then completion ids. */
    public int[] ids() {
        int[] all = Arrays.copyOf(promptIds, promptIds.length + completionIds.length);
        System.arraycopy(completionIds, 0, all, promptIds.length, completionIds.length);
        return all;
    }

    /** 1 for every token of {@link #ids()} (an unpadded row). */
    public int[] attentionMask() {
        int[] mask = new int[promptIds.length + completionIds.length];
        Arrays.fill(mask, 1);
        return mask;
    }

    /** Over {@link #ids()}: 0 on the prompt, 1 on the completion (EOS included, as TRL masks it). */
    public int[] completionMask() {
        int[] mask = new int[promptIds.length + completionIds.length];
        Arrays.fill(mask, promptIds.length, mask.length, 1);
        return mask;
    }
}
