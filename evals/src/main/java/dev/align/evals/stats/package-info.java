/**
 * The statistics every eval report uses, each a small pure function with its formula in the Javadoc:
 * {@link dev.align.evals.stats.Wilson} intervals for rates, a seeded {@link
 * dev.align.evals.stats.PairedBootstrap} for the difference of two models' rates on the same items, the
 * exact {@link dev.align.evals.stats.McNemar} test on their discordant pairs, and {@link
 * dev.align.evals.stats.Holm}'s correction across the pairs compared.
 */
package dev.align.evals.stats;
