/**
 * What raters reward: a logistic regression of "which response was preferred" on interpretable features
 * of the two responses, after Sharma et al. (2023), "Towards Understanding Sycophancy in Language Models", §3.
 */
package dev.align.evals.preferences;
