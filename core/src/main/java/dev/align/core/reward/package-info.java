/**
 * Rewards for reinforcement learning: {@link dev.align.core.reward.RewardFunction} over batches of
 * {@link dev.align.core.reward.Sample}s, from verifiers ({@link dev.align.core.reward.Verifier}, final
 * answers found by {@link dev.align.core.reward.AnswerExtraction}), a trained reward model, weighted
 * sums, or a user's class. GRPO/RLOO, PPO and the evaluations share them.
 */
package dev.align.core.reward;
