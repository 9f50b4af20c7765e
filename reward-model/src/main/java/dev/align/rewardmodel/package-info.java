/**
 * Reward models from pairwise and K-way ranked comparisons ({@code align rm}): Bradley–Terry,
 * InstructGPT-style all-pairs and Plackett–Luce listwise losses, and scoring ({@code align reward}).
 */
package dev.align.rewardmodel;
