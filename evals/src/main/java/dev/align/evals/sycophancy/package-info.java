/**
 * The sycophancy evals behind {@code align eval sycophancy}: readers for the synthetic world's probes,
 * SycophancyEval (Sharma et al. 2023) and Perez et al. (2022) A/B files ({@link EvalData}), and the
 * protocols that run them through any {@link dev.align.core.inference.InferenceModel} and read the replies with
 * rules ({@link SycophancyEval}), one {@link dev.align.evals.ItemResult} per item and model.
 */
package dev.align.evals.sycophancy;
