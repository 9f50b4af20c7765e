/**
 * The arithmetic the online methods share (PPO with a KL penalty, GRPO, Dr. GRPO, DAPO, RLOO), as small pure
 * functions, each matching a TRL function named in its Javadoc.
 *
 * <p>Two kinds. What a loss needs inside the gradient collector works on NDArrays so gradients flow
 * ({@link dev.align.core.rl.ClippedPolicyLoss}, {@link dev.align.core.rl.ClippedValueLoss},
 * {@link dev.align.core.rl.LossAggregation}, {@link dev.align.core.rl.KlEstimator}). What only processes detached
 * numbers once per rollout works on plain Java arrays, (B, T) row-major, where a loop costs less than one JNI op
 * ({@link dev.align.core.rl.Gae}, {@link dev.align.core.rl.Masked}, {@link dev.align.core.rl.GroupAdvantages},
 * {@link dev.align.core.rl.KlController}).
 */
package dev.align.core.rl;
