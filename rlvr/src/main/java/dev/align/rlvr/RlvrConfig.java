package dev.align.rlvr;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.rl.GroupAdvantages.ScaleRewards;
import dev.align.core.rl.LossAggregation;
import dev.align.core.train.OnlineConfig;
import dev.align.core.train.TrainingConfig;
import java.util.List;
import java.util.Map;

/**
 * Reinforcement learning from verifiable rewards, under TRL's GRPOConfig / RLOOConfig names and defaults
 * (trl/trainer/grpo_config.py, rloo_config.py); the training keys sit beside these.
 *
 * <p><b>Rows per step</b>, as TRL counts them with {@code steps_per_generation = gradient_accumulation_steps}:
 * a step generates {@code per_device_train_batch_size × gradient_accumulation_steps} completions, {@code
 * num_generations} for each of {@link #promptsPerStep()} prompts, and makes {@code num_iterations} (μ)
 * optimizer updates over them, each accumulated over {@code gradient_accumulation_steps} micro-batches of
 * {@code per_device_train_batch_size} completions. {@code max_steps} counts generation steps; unset, it is
 * {@code num_train_epochs} passes over the prompts.
 *
 * @param algo grpo (GRPO, Dr. GRPO, DAPO by {@code loss_type}) or rloo (TRL's current RLOOTrainer)
 * @param numGenerations completions per prompt, the group; null = the algorithm's TRL default: 8 for grpo, 2 for rloo
 * @param scaleRewards GRPO: group, batch or none (Dr. GRPO) std divides the advantages
 * @param epsilon ε_low of the clipped ratio
 * @param epsilonHigh ε_high (DAPO's clip-higher, 0.28 in the paper); null = ε
 * @param beta KL coefficient; null = the algorithm's default: 0 for grpo (no reference model is loaded; > 0
 *     adds β·k3 per token to the loss), 0.05 for rloo (β·Σₜ k1 is subtracted from each sequence's reward)
 * @param lossType GRPO's aggregation: grpo, bnpo, dr_grpo or dapo (TRL's default)
 * @param numIterations μ: updates per generated batch (TRL's {@code num_iterations}); old log-probs are taken at
 *     collection when μ > 1, else the detached current ones (ratio 1), as TRL does
 * @param maskTruncatedCompletions completions that hit {@code max_completion_length} without EOS leave the loss
 *     (they still count in their group's reward statistics)
 * @param maxCompletionLength tokens generated per completion at most. TRL's default is 512 (256 before 0.22); we keep
 *     256: verifiable answers are short, and on a CPU each extra token costs a decoding step
 * @param maxPromptLength keep the last N prompt tokens; null = what {@code max_length} and the model's positions
 *     leave after {@code max_completion_length}
 * @param dynamicSampling DAPO's dynamic sampling: groups whose rewards all agree are dropped and more prompts are
 *     drawn to fill the batch, at most {@code max_num_gen_batches} generation rounds a step (then the batch is filled
 *     with dropped groups, whose advantages are 0)
 * @param rewardFuncs reward functions: {@code verifier} (each row's own {@code verifier} column), a fixed verifier
 *     ({@code number}, {@code choice}, {@code exact}, {@code regex:P}), {@code format:P} (1 when the completion matches
 *     P), or the class name of a user's {@code RewardFunction}
 * @param rewardWeights one weight per reward function; null = all 1
 * @param normalizeAdvantages RLOO: whiten the leave-one-out advantages over the batch (TRL's default false)
 * @param sampleSteps completions written to samples.jsonl every N steps (0: never)
 */
public record RlvrConfig(
        TrainingConfig training,
        @ConfigKey(help = "grpo or rloo") Algo algo,
        @ConfigKey(help = "completions per prompt, the group (default: 8 for grpo, 2 for rloo)") Integer numGenerations,
        @ConfigKey(help = "GRPO: group, batch or none (Dr. GRPO)") ScaleRewards scaleRewards,
        @ConfigKey(help = "ε_low of the clipped ratio") double epsilon,
        @ConfigKey(help = "ε_high, DAPO's clip-higher (default: epsilon)") Double epsilonHigh,
        @ConfigKey(help = "KL coefficient (default: 0 for grpo, 0.05 for rloo)") Double beta,
        @ConfigKey(help = "GRPO loss aggregation: grpo, bnpo, dr_grpo or dapo") LossAggregation lossType,
        @ConfigKey(help = "μ: optimizer updates per generated batch") int numIterations,
        @ConfigKey(help = "truncated completions (no EOS) leave the loss") boolean maskTruncatedCompletions,
        @ConfigKey(help = "tokens generated per completion at most") int maxCompletionLength,
        @ConfigKey(help = "keep the last N prompt tokens (default: what max_length leaves)") Integer maxPromptLength,
        @ConfigKey(help = "sampling temperature") double temperature,
        @ConfigKey(help = "nucleus sampling mass (1: off)") double topP,
        @ConfigKey(help = "keep the k most likely tokens (0: off)") int topK,
        @ConfigKey(help = "min-p sampling (0: off)") double minP,
        @ConfigKey(help = "DAPO: drop groups whose rewards all agree, draw more prompts") boolean dynamicSampling,
        @ConfigKey(help = "dynamic sampling: generation rounds per step at most") int maxNumGenBatches,
        @ConfigKey(help = "verifier, number, choice, exact, regex:P, format:P or a RewardFunction class") List<String> rewardFuncs,
        @ConfigKey(help = "one weight per reward function (default: all 1)") List<Double> rewardWeights,
        @ConfigKey(help = "RLOO: whiten the advantages over the batch") boolean normalizeAdvantages,
        @ConfigKey(help = "completions to samples.jsonl every N steps (0: never)") int sampleSteps) {

    /** The algorithms. */
    public enum Algo {
        GRPO,
        RLOO
    }

    /** TRL's GRPOConfig defaults (learning rate 1e-6, 8 generations, β 0, loss dapo, scale group). */
    public static final RlvrConfig DEFAULTS = new RlvrConfig(TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 1e-6),
            "TRL's GRPOConfig"), Algo.GRPO, null, ScaleRewards.GROUP, 0.2, null, null, LossAggregation.DAPO, 1, false, 256,
            null, 1.0, 1.0, 0, 0.0, false, 4, List.of("verifier"), null, false, 10);

    public RlvrConfig {
        if (numGenerations != null && numGenerations < 2) {
            throw new InvalidSettingException("num_generations", "must be >= 2 (a group needs a baseline), got " + numGenerations);
        }
        if (!(epsilon > 0 && epsilon < 1)) throw new InvalidSettingException("epsilon", "must be in (0, 1), got " + epsilon);
        if (epsilonHigh != null && !(epsilonHigh > 0)) throw new InvalidSettingException("epsilon_high", "must be > 0, got " + epsilonHigh);
        if (beta != null && !(beta >= 0)) throw new InvalidSettingException("beta", "must be >= 0, got " + beta);
        if (numIterations < 1) throw new InvalidSettingException("num_iterations", "must be >= 1, got " + numIterations);
        if (maxCompletionLength < 1) {
            throw new InvalidSettingException("max_completion_length", "must be >= 1, got " + maxCompletionLength);
        }
        if (maxPromptLength != null && maxPromptLength < 1) {
            throw new InvalidSettingException("max_prompt_length", "must be >= 1, got " + maxPromptLength);
        }
        if (!(temperature > 0)) throw new InvalidSettingException("temperature", "must be > 0 for sampling, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new InvalidSettingException("top_p", "must be in (0, 1], got " + topP);
        if (topK < 0) throw new InvalidSettingException("top_k", "must be >= 0, got " + topK);
        if (!(minP >= 0 && minP <= 1)) throw new InvalidSettingException("min_p", "must be in [0, 1], got " + minP);
        if (maxNumGenBatches < 1) throw new InvalidSettingException("max_num_gen_batches", "must be >= 1, got " + maxNumGenBatches);
        if (rewardFuncs == null || rewardFuncs.isEmpty()) throw new InvalidSettingException("reward_funcs", "name at least one");
        if (rewardWeights != null && rewardWeights.size() != rewardFuncs.size()) {
            throw new InvalidSettingException("reward_weights", "has " + rewardWeights.size() + " weights for "
                    + rewardFuncs.size() + " reward functions");
        }
        if (sampleSteps < 0) throw new InvalidSettingException("sample_steps", "must be >= 0, got " + sampleSteps);
        int completions = training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps();
        int k = groupSize(numGenerations, algo);
        if (completions % k != 0) {
            throw new InvalidSettingException("num_generations", "per_device_train_batch_size × gradient_accumulation_steps ("
                    + completions + " completions a step) must be a multiple of num_generations (" + k + ")");
        }
    }

    /** Completions generated a step: {@code per_device_train_batch_size × gradient_accumulation_steps}. */
    public int completionsPerStep() {
        return training.perDeviceTrainBatchSize() * training.gradientAccumulationSteps();
    }

    /** Prompts a step: completions / num_generations. */
    public int promptsPerStep() {
        return completionsPerStep() / groupSize();
    }

    /** k: {@code num_generations}, or 8 for grpo and 2 for rloo (TRL's GRPOConfig and RLOOConfig). */
    public int groupSize() {
        return groupSize(numGenerations, algo);
    }

    private static int groupSize(Integer numGenerations, Algo algo) {
        return numGenerations != null ? numGenerations : algo == Algo.RLOO ? 2 : 8;
    }

    /** ε_high: {@code epsilon_high}, or ε. */
    public double epsilonHighOrDefault() {
        return epsilonHigh != null ? epsilonHigh : epsilon;
    }

    /** β: {@code beta}, or 0 for grpo and 0.05 for rloo. */
    public double betaOrDefault() {
        return beta != null ? beta : algo == Algo.RLOO ? 0.05 : 0.0;
    }

    /** The weight of reward function i. */
    public double weight(int i) {
        return rewardWeights == null ? 1.0 : rewardWeights.get(i);
    }

    /** How the shared loop turns a batch into updates: μ passes of one mini-batch (one optimizer update) each. */
    public OnlineConfig online() {
        return new OnlineConfig(1, numIterations, 0);
    }
}
