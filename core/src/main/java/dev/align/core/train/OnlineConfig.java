package dev.align.core.train;

import dev.align.core.BadInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an online step (PPO, GRPO, RLOO) turns one collected batch into optimizer updates, under TRL's
 * names: {@code num_ppo_epochs} passes (GRPO's {@code num_iterations}) over the batch, each shuffled
 * into {@code num_mini_batches} mini-batches; a mini-batch is one optimizer update, accumulated over
 * {@code gradient_accumulation_steps} micro-batches. {@code critic_learning_rate} (OpenRLHF's name)
 * is the critic's peak learning rate; 0 or less means the policy's {@code learning_rate}.
 */
public record OnlineConfig(int numMiniBatches, int numEpochs, double criticLearningRate) {

    /** TRL's PPOConfig defaults: 4 epochs, 1 mini-batch; the critic at the policy's rate. */
    public static final OnlineConfig DEFAULTS = new OnlineConfig(1, 4, 0);

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("num_mini_batches", numMiniBatches);
        m.put("num_ppo_epochs", numEpochs);
        m.put("critic_learning_rate", criticLearningRate);
        return m;
    }

    /** The critic's peak learning rate given the policy's. */
    public double criticRate(double policyRate) {
        return criticLearningRate > 0 ? criticLearningRate : policyRate;
    }

    public void validate(String source) {
        if (numMiniBatches <= 0) throw new BadInputException(source + ": num_mini_batches must be > 0");
        if (numEpochs <= 0) throw new BadInputException(source + ": num_ppo_epochs must be > 0");
    }
}
