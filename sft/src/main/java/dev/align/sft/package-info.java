/** Supervised fine-tuning ({@code align sft}) and next-token pretraining ({@code align pretrain}). */
package dev.align.sft;
