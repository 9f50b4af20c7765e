/**
 * Log-probabilities of given tokens under a policy, defined once for every method: {@link
 * dev.align.core.logprob.TokenLogProbs} (the result and the padding rule: a token's log-prob counts
 * only where it and the token before it are real; full sequences give (B, T−1) aligned with {@code
 * ids[:, 1:]}), {@link dev.align.core.logprob.LogProbs} (temperature, entropy, micro-batches, the
 * full-sequence and the prompt-plus-completion layouts), {@link dev.align.core.logprob.CompletionBatch}
 * (left-padded prompts followed by right-padded completions) and {@link
 * dev.align.core.logprob.ReferencePolicy} (the frozen reference: live, shared or precomputed).
 */
package dev.align.core.logprob;
