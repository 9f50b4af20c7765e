/**
 * Training data in TRL's JSONL formats (language modelling, SFT prompt/completion and messages,
 * preferences, ranked comparisons, verifiable prompts), streamed by line offset with seeded shuffles,
 * chat-templated with loss masks; and the synthetic sycophancy world ({@code align data synth}).
 */
package dev.align.datasets;
