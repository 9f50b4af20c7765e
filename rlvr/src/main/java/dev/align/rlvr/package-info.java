/** Reinforcement learning from verifiable rewards: GRPO and RLOO with answer verifiers. */
package dev.align.rlvr;
