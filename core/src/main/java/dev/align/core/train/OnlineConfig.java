package dev.align.core.train;

import dev.align.core.config.ConfigBinder;
import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import java.util.Map;

/**
 * How an online step (PPO, GRPO, RLOO) turns one collected batch into optimizer updates, under TRL's
 * names: {@code num_ppo_epochs} passes (GRPO's {@code num_iterations}) over the batch, each shuffled
 * into {@code num_mini_batches} mini-batches; a mini-batch is one optimizer update, accumulated over
 * {@code gradient_accumulation_steps} micro-batches. {@code critic_learning_rate} (OpenRLHF's name)
 * is the critic's peak learning rate; 0 or less means the policy's {@code learning_rate}.
 *
 * <p>The rows of a collected batch must split evenly into {@code num_mini_batches ×
 * gradient_accumulation_steps} micro-batches (as TRL requires); a micro-batch then holds {@code rows /
 * (num_mini_batches × gradient_accumulation_steps)} rows. {@code per_device_train_batch_size} does not
 * apply online: the method decides the rows it collects per step. Method configs nest this record
 * beside {@link TrainingConfig}, and {@link ConfigBinder} binds its keys.
 */
public record OnlineConfig(
        @ConfigKey(help = "mini-batches (optimizer updates) per pass over a collected batch") int numMiniBatches,
        @ConfigKey(value = "num_ppo_epochs", help = "passes over each collected batch") int numEpochs,
        @ConfigKey(help = "the critic's peak learning rate (<= 0: learning_rate)") double criticLearningRate) {

    /** TRL's PPOConfig defaults: 4 epochs, 1 mini-batch; the critic at the policy's rate. */
    public static final OnlineConfig DEFAULTS = new OnlineConfig(1, 4, 0);

    public OnlineConfig {
        if (numMiniBatches <= 0) throw new InvalidSettingException("num_mini_batches", "must be > 0, got " + numMiniBatches);
        if (numEpochs <= 0) throw new InvalidSettingException("num_ppo_epochs", "must be > 0, got " + numEpochs);
    }

    /** The settings under their keys, in order (the shared binder, one source). */
    public Map<String, Object> asMap() {
        return ConfigBinder.of(OnlineConfig.class).toMap(this);
    }

    /** The critic's peak learning rate given the policy's. */
    public double criticRate(double policyRate) {
        return criticLearningRate > 0 ? criticLearningRate : policyRate;
    }
}
