package dev.align.sft;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.Unbound;
import dev.align.core.train.TrainingConfig;

/**
 * SFT's options on top of the shared training loop, as TRL's SFTConfig; bound from YAML or flags by
 * {@link dev.align.core.config.ConfigBinder} (the training keys sit beside these).
 *
 * @param lossOnPrompt train on prompt tokens too (TRL: completion_only_loss=False)
 * @param packing concatenate a micro-batch's examples into as few max_length rows as possible
 * @param allTokens language modelling: every token is a target (align pretrain); not a setting
 */
public record SftConfig(
        TrainingConfig training,
        @ConfigKey(help = "train on prompt tokens too (TRL: completion_only_loss=false)") boolean lossOnPrompt,
        @ConfigKey(help = "concatenate examples into max_length rows") boolean packing,
        @Unbound boolean allTokens) {

    /** SFT: completions only, no packing, TrainingArguments' defaults. */
    public static final SftConfig DEFAULTS = new SftConfig(TrainingConfig.DEFAULTS, false, false, false);

    /** Pretraining: every token is a target. */
    public static final SftConfig PRETRAIN_DEFAULTS = new SftConfig(TrainingConfig.DEFAULTS, false, false, true);
}
