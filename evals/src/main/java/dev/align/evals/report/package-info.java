/**
 * The sycophancy report: rates with Wilson intervals per model, data set, kind and condition, breakdowns,
 * the accuracy drop under suggestions, paired model comparisons (bootstrap, exact McNemar, Holm), rule
 * against classifier agreement, and its files ({@code items.jsonl}, {@code report.md}, {@code
 * report.html}, {@code summary.json}, PNG charts). Start at {@link dev.align.evals.report.SycophancyReport}.
 */
package dev.align.evals.report;
