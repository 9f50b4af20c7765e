/**
 * Models one asks for replies and log-probs, for every method that reads a model rather than trains it (evals,
 * constitutional AI's critiques, revisions and AI feedback): {@link dev.align.core.inference.InferenceModel}, a
 * model directory in-process ({@link dev.align.core.inference.LocalModel}) or any OpenAI-compatible server
 * ({@link dev.align.core.inference.EndpointModel}), and how replies are sampled
 * ({@link dev.align.core.inference.ReplySettings}).
 */
package dev.align.core.inference;
