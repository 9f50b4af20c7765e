package dev.align.dpo;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.train.TrainingConfig;
import java.util.Map;

/**
 * DPO options on top of the shared loop, with TRL's DPOConfig names and defaults; bound from YAML or
 * flags by {@link dev.align.core.config.ConfigBinder} (the training keys sit beside these).
 *
 * @param beta β, the strength of the implicit KL constraint (TRL default 0.1)
 * @param lossType sigmoid (DPO), ipo, hinge or robust
 * @param labelSmoothing ε: the assumed share of flipped labels (cDPO with sigmoid; robust DPO); with sigmoid
 *     and ε > 0, a pair with a soft {@code label} uses ε = 1 − label instead ({@link #softLabels})
 * @param rpoAlpha weight of an NLL term on the chosen response (RPO); 0 turns it off
 * @param precomputeRefLogProbs score the reference once before training and release it
 * @param maxPromptLength prompts longer than this keep their last tokens (TRL's legacy {@code
 *     max_prompt_length}, left truncation); null, TRL's current default, cuts no prompt. A pair whose
 *     prompt still fills {@code max_length} is dropped, as TRL drops it, and counted
 */
public record DpoConfig(
        TrainingConfig training,
        @ConfigKey(help = "β, strength of the implicit KL constraint") double beta,
        @ConfigKey(help = "sigmoid, ipo, hinge or robust") LossType lossType,
        @ConfigKey(help = "assumed share of flipped labels, cDPO/robust") double labelSmoothing,
        @ConfigKey(help = "weight of the NLL term on chosen responses (0: off)") double rpoAlpha,
        @ConfigKey(help = "score the reference once before training, then free it") boolean precomputeRefLogProbs,
        @ConfigKey(help = "keep the last N prompt tokens (default: prompts are not cut)") Integer maxPromptLength) {

    /** TRL's DPOConfig defaults, including its learning rate of 1e-6. */
    public static final DpoConfig DEFAULTS = new DpoConfig(TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 1e-6),
            "TRL's DPOConfig"), 0.1, LossType.SIGMOID, 0, 0, false);

    public DpoConfig {
        if (!(beta > 0)) throw new InvalidSettingException("beta", "must be > 0, got " + beta);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new InvalidSettingException("label_smoothing", "must be in [0, 0.5), got " + labelSmoothing);
        }
        if (!(rpoAlpha >= 0)) throw new InvalidSettingException("rpo_alpha", "must be >= 0, got " + rpoAlpha);
        if (maxPromptLength != null && maxPromptLength < 1) {
            throw new InvalidSettingException("max_prompt_length", "must be >= 1, got " + maxPromptLength);
        }
    }

    /** Without max_prompt_length: prompts are not cut. */
    public DpoConfig(TrainingConfig training, double beta, LossType lossType, double labelSmoothing, double rpoAlpha,
            boolean precomputeRefLogProbs) {
        this(training, beta, lossType, labelSmoothing, rpoAlpha, precomputeRefLogProbs, null);
    }

    /**
     * Whether rows' soft {@code label}s are trained on: cDPO (sigmoid loss, label_smoothing > 0) with ε = 1 −
     * label per labelled pair ({@link DpoLoss#sigmoid(ai.djl.ndarray.NDArray, double, ai.djl.ndarray.NDArray)}).
     */
    public boolean softLabels() {
        return lossType == LossType.SIGMOID && labelSmoothing > 0;
    }

    /** TRL's {@code loss_type} values implemented here (bound by lower-case name). */
    public enum LossType {
        SIGMOID,
        IPO,
        HINGE,
        ROBUST
    }
}
