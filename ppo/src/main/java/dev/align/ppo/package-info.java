/** KL-penalised PPO against a reward model ({@code align ppo}), with a value head and adaptive KL control. */
package dev.align.ppo;
