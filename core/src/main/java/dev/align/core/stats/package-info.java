/**
 * The statistics the eval reports and AI feedback use, each a small pure function with its formula in the Javadoc:
 * {@link dev.align.core.stats.Wilson} intervals for rates, a seeded {@link
 * dev.align.core.stats.PairedBootstrap} for the difference of two models' rates on the same items, the
 * exact {@link dev.align.core.stats.McNemar} test on their discordant pairs, and {@link
 * dev.align.core.stats.Holm}'s correction across the pairs compared.
 */
package dev.align.core.stats;
