package dev.align.core.generation;

/**
 * One prompt's continuation.
 *
 * @param tokens generated token ids, including a final EOS if one was produced
 * @param logProbs log-probability of each generated token under the sampling distribution (logits /
 *     temperature, before top-k/top-p truncation; temperature 1 for greedy), as TRL computes it for PPO
 * @param text decoded continuation without special tokens, cut before a stop string
 * @param finishReason {@code eos}, {@code stop} or {@code length}
 */
public record GenerationOutput(int[] tokens, float[] logProbs, String text, String finishReason) {}
