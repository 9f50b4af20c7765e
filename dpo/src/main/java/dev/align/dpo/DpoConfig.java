package dev.align.dpo;

import dev.align.core.train.TrainingConfig;
import java.util.Locale;

/**
 * DPO options on top of the shared loop, with TRL's DPOConfig names and defaults.
 *
 * @param beta β, the strength of the implicit KL constraint (TRL default 0.1)
 * @param lossType sigmoid (DPO), ipo, hinge or robust
 * @param labelSmoothing ε: the assumed share of flipped labels (cDPO with sigmoid; robust DPO)
 * @param rpoAlpha weight of an NLL term on the chosen response (RPO); 0 turns it off
 * @param precomputeRefLogProbs score the reference once before training and release it
 * @param maxPromptLength prompts longer than this keep their last tokens (TRL's legacy {@code
 *     max_prompt_length}, left truncation); null, TRL's current default, cuts no prompt. A pair whose
 *     prompt still fills {@code max_length} is dropped, as TRL drops it, and counted
 */
public record DpoConfig(TrainingConfig training, double beta, LossType lossType, double labelSmoothing, double rpoAlpha,
        boolean precomputeRefLogProbs, Integer maxPromptLength) {

    public static final double DEFAULT_BETA = 0.1;

    public DpoConfig {
        if (!(beta > 0)) throw new IllegalArgumentException("beta must be positive, got " + beta);
        if (labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (maxPromptLength != null && maxPromptLength < 1) {
            throw new IllegalArgumentException("max_prompt_length must be >= 1, got " + maxPromptLength);
        }
    }

    /** Without max_prompt_length: prompts are not cut. */
    public DpoConfig(TrainingConfig training, double beta, LossType lossType, double labelSmoothing, double rpoAlpha,
            boolean precomputeRefLogProbs) {
        this(training, beta, lossType, labelSmoothing, rpoAlpha, precomputeRefLogProbs, null);
    }

    /** TRL's {@code loss_type} values implemented here. */
    public enum LossType {
        SIGMOID,
        IPO,
        HINGE,
        ROBUST;

        public static LossType parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("loss_type '" + name + "': expected sigmoid, ipo, hinge or robust");
            }
        }

        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
