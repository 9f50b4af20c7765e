/**
 * Rewards for reinforcement learning: {@link dev.align.core.reward.RewardFunction} over batches of
 * {@link dev.align.core.reward.Sample}s, from verifiers ({@link dev.align.core.reward.Verifier}, final
 * answers found by {@link dev.align.core.reward.AnswerExtraction}), a trained reward model ({@code
 * dev.align.datasets.RewardModelReward}, beside the encoder it shares with {@code align rm}), weighted
 * sums, or a user's class. GRPO/RLOO, PPO and the evaluations share them.
 */
package dev.align.core.reward;
