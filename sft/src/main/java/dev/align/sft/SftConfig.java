package dev.align.sft;

import dev.align.core.train.TrainingConfig;

/**
 * SFT's options on top of the shared training loop, as TRL's SFTConfig.
 *
 * @param lossOnPrompt train on prompt tokens too (TRL: completion_only_loss=False)
 * @param packing concatenate a micro-batch's examples into as few max_length rows as possible
 * @param allTokens language modelling: every token is a target (align pretrain)
 */
public record SftConfig(TrainingConfig training, boolean lossOnPrompt, boolean packing, boolean allTokens) {}
