package dev.align.ppo;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.rl.KlController;
import dev.align.core.rl.KlEstimator;
import dev.align.core.train.OnlineConfig;
import dev.align.core.train.TrainingConfig;
import java.util.Map;

/**
 * PPO-RLHF options on top of the shared loop, under TRL's {@code PPOConfig} names and defaults (trl/trainer/ppo_config.py
 * and the experimental PPO trainer), bound from YAML or flags by {@link dev.align.core.config.ConfigBinder} beside the
 * training and online keys.
 *
 * <p>Each step samples one completion for each of {@link #localBatchSize()} prompts (TRL's {@code local_batch_size} =
 * {@code per_device_train_batch_size × gradient_accumulation_steps × num_mini_batches}) and then runs {@code
 * num_ppo_epochs × num_mini_batches} updates over them.
 *
 * @param klCoef β of the per-token KL penalty −β·KL (TRL 0.05); the starting β when {@code target_kl} is set
 * @param klEstimator k1 (TRL's default, log π − log π_ref) or k3 ({@code (eʳ − 1) − r}); k2 also works
 * @param cliprange ε of the clipped policy surrogate, both sides
 * @param cliprangeValue ε_v of the clipped value loss
 * @param vfCoef weight of the value loss, TRL's {@code loss = pg_loss + vf_coef · vf_loss}. With a shared backbone it
 *     weighs the value loss against the policy loss in the one loss the policy minimises. With a critic of its own the
 *     critic's loss is {@code vf_coef · vf_loss} (logged as {@code critic_loss}; {@code loss/value_avg} is the unscaled
 *     vf_loss): its gradient is TRL's, but under AdamW, which is invariant to a constant scale of the gradient, the
 *     coefficient mainly shifts where {@code max_grad_norm} starts clipping the critic's gradient
 * @param gamma γ, GAE's discount
 * @param lam λ, GAE's trace decay
 * @param whitenRewards whiten the per-token rewards (keeping their mean) before GAE
 * @param missingEosPenalty subtracted from the score of a completion without EOS (null: none)
 * @param temperature sampling temperature; log-probs are taken at it as well
 * @param responseLength tokens sampled per completion at most
 * @param targetKl the KL target of an adaptive KL controller (Ziegler et al. 2019); null: β stays {@code kl_coef}
 * @param horizon the adaptive controller's horizon (TRL 10000)
 * @param sampleSteps a few completions into {@code samples.jsonl} every N steps (0: never)
 * @param sharedBackbone the value head sits on the policy (one backbone: less memory) instead of a critic of its own
 * @param criticInit where a separate critic starts: the reward model (TRL), the policy, or auto (the reward model when
 *     it reads the policy's vocabulary, else the policy)
 * @param normalizeReward whiten the reward model's score with the mean and std recorded in its config.json
 * @param evalSamples held-out prompts scored at each evaluation (the first N of --eval-prompts), one completion each,
 *     sampled at {@code temperature} with a seed that is the same at every evaluation (see {@link
 *     PpoObjective#evaluate})
 */
public record PpoConfig(
        TrainingConfig training,
        OnlineConfig online,
        @ConfigKey(help = "β of the per-token KL penalty (the start value with target_kl)") double klCoef,
        @ConfigKey(help = "KL estimator of the penalty: k1, k2 or k3") KlEstimator klEstimator,
        @ConfigKey(help = "clip range ε of the policy ratio") double cliprange,
        @ConfigKey(help = "clip range of the value prediction") double cliprangeValue,
        @ConfigKey(help = "weight of the value loss") double vfCoef,
        @ConfigKey(help = "GAE discount γ") double gamma,
        @ConfigKey(help = "GAE λ") double lam,
        @ConfigKey(help = "whiten per-token rewards before GAE") boolean whitenRewards,
        @ConfigKey(help = "subtracted from the score of completions without EOS (default: none)") Double missingEosPenalty,
        @ConfigKey(help = "sampling temperature") double temperature,
        @ConfigKey(help = "tokens per completion at most") int responseLength,
        @ConfigKey(help = "KL target of the adaptive KL controller (default: fixed kl_coef)") Double targetKl,
        @ConfigKey(help = "horizon of the adaptive KL controller") double horizon,
        @ConfigKey(help = "write a few completions to samples.jsonl every N steps (0: never)") int sampleSteps,
        @ConfigKey(help = "value head on the policy instead of a critic of its own") boolean sharedBackbone,
        @ConfigKey(help = "a separate critic starts from: auto, reward_model or policy") CriticInit criticInit,
        @ConfigKey(help = "whiten the score with the mean and std the reward model recorded") boolean normalizeReward,
        @ConfigKey(help = "held-out prompts scored at each evaluation, at most") int evalSamples) {

    /** Where a separate critic's weights come from. */
    public enum CriticInit {
        /** The reward model when it reads the policy's vocabulary (TRL's choice), otherwise the policy. */
        AUTO,
        /** The reward model's backbone, its score head as the value head (TRL: the value model is loaded from it). */
        REWARD_MODEL,
        /** The policy's backbone with a freshly initialised value head. */
        POLICY
    }

    /**
     * TRL's PPOConfig defaults, including its learning rate of 3e-6 and its linear learning-rate decay (and 4 PPO
     * epochs, 1 mini-batch).
     */
    public static final PpoConfig DEFAULTS = new PpoConfig(
            TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 3e-6, "lr_scheduler_type", "linear"), "TRL's PPOConfig"), OnlineConfig.DEFAULTS,
            0.05, KlEstimator.K1, 0.2, 0.2, 0.1, 1.0, 0.95, false, null, 0.7, 53, null, 10000, 10, false,
            CriticInit.AUTO, true, 64);

    public PpoConfig {
        if (!(klCoef >= 0)) throw new InvalidSettingException("kl_coef", "must be >= 0, got " + klCoef);
        if (!(cliprange > 0)) throw new InvalidSettingException("cliprange", "must be > 0, got " + cliprange);
        if (!(cliprangeValue > 0)) throw new InvalidSettingException("cliprange_value", "must be > 0, got " + cliprangeValue);
        if (!(vfCoef >= 0)) throw new InvalidSettingException("vf_coef", "must be >= 0, got " + vfCoef);
        if (!(gamma >= 0 && gamma <= 1)) throw new InvalidSettingException("gamma", "must be in [0, 1], got " + gamma);
        if (!(lam >= 0 && lam <= 1)) throw new InvalidSettingException("lam", "must be in [0, 1], got " + lam);
        if (missingEosPenalty != null && !Double.isFinite(missingEosPenalty)) {
            throw new InvalidSettingException("missing_eos_penalty", "must be a number, got " + missingEosPenalty);
        }
        if (!(temperature > 0)) throw new InvalidSettingException("temperature", "must be > 0, got " + temperature);
        if (responseLength < 1) throw new InvalidSettingException("response_length", "must be >= 1, got " + responseLength);
        if (targetKl != null && !(targetKl > 0)) throw new InvalidSettingException("target_kl", "must be > 0, got " + targetKl);
        if (!(horizon > 0)) throw new InvalidSettingException("horizon", "must be > 0, got " + horizon);
        if (sampleSteps < 0) throw new InvalidSettingException("sample_steps", "must be >= 0 (0: never), got " + sampleSteps);
        if (evalSamples < 1) throw new InvalidSettingException("eval_samples", "must be >= 1, got " + evalSamples);
    }

    /** Prompts per step, one completion each: TRL's {@code local_batch_size}. */
    public int localBatchSize() {
        return training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps() * online.numMiniBatches();
    }

    /** The KL controller a run starts with: adaptive towards {@code target_kl}, or fixed at {@code kl_coef}. */
    public KlController klController() {
        return targetKl == null ? new KlController.Fixed(klCoef) : new KlController.Adaptive(klCoef, targetKl, horizon);
    }
}
