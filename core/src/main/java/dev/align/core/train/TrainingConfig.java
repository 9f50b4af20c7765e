package dev.align.core.train;

import dev.align.core.config.ConfigBinder;
import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import java.util.Map;
import java.util.Set;

/**
 * Hyper-parameters shared by every trainer, under Hugging Face TrainingArguments' names so a TRL
 * config reads the same. {@link #DEFAULTS} follow HF where HF has a default. Method configs hold one
 * as a nested record, and {@link ConfigBinder} binds its keys beside theirs.
 *
 * <p>{@code full_determinism}: PyTorch's multi-threaded CPU kernels very rarely round differently from
 * run to run (measured: 1 of 299 identical backward passes differed in the last bits with 2 threads,
 * 0 of 299 with 1). With it on, training uses one intra-op thread, so a run and its resumption are
 * bit-identical, at about half the speed on 2 cores.
 */
public record TrainingConfig(
        @ConfigKey(help = "peak learning rate of AdamW") double learningRate,
        @ConfigKey(help = "epochs over the data (max_steps wins when > 0)") int numTrainEpochs,
        @ConfigKey(help = "optimizer steps in all (-1: from num_train_epochs)") int maxSteps,
        @ConfigKey(help = "examples per micro-batch (offline training only)") int perDeviceTrainBatchSize,
        @ConfigKey(help = "micro-batches per optimizer step") int gradientAccumulationSteps,
        @ConfigKey(help = "share of the steps spent warming up (warmup_steps wins when > 0)") double warmupRatio,
        @ConfigKey(help = "steps of linear warmup") int warmupSteps,
        @ConfigKey(help = "cosine, linear or constant") String lrSchedulerType,
        @ConfigKey(help = "global gradient-norm clipping threshold") double maxGradNorm,
        @ConfigKey(help = "AdamW's decoupled weight decay") double weightDecay,
        @ConfigKey(help = "AdamW β1") double adamBeta1,
        @ConfigKey(help = "AdamW β2") double adamBeta2,
        @ConfigKey(help = "AdamW ε") double adamEpsilon,
        @ConfigKey(help = "a metrics.jsonl line every N steps") int loggingSteps,
        @ConfigKey(help = "evaluate the eval data every N steps (0: at the last step only)") int evalSteps,
        @ConfigKey(help = "also evaluate before the first step (logged as step 0)") boolean evalOnStart,
        @ConfigKey(help = "a checkpoint every N steps (0: none)") int saveSteps,
        @ConfigKey(help = "checkpoints kept") int saveTotalLimit,
        @ConfigKey(help = "seed of the data order (and of new heads)") long seed,
        @ConfigKey(help = "tokens per example; longer examples are cut and counted") int maxLength,
        @ConfigKey(help = "one PyTorch thread: bit-identical reruns and resumes") boolean fullDeterminism) {

    private static final Set<String> SCHEDULERS = Set.of("cosine", "linear", "constant"); // before DEFAULTS

    public static final TrainingConfig DEFAULTS = new TrainingConfig(5e-5, 3, -1, 8, 1, 0.0, 0, "cosine", 1.0, 0.0,
            0.9, 0.999, 1e-8, 10, 0, false, 500, 2, 42, 1024, false);

    public TrainingConfig {
        if (!(learningRate > 0)) throw new InvalidSettingException("learning_rate", "must be > 0, got " + learningRate);
        if (perDeviceTrainBatchSize <= 0) {
            throw new InvalidSettingException("per_device_train_batch_size", "must be > 0, got " + perDeviceTrainBatchSize);
        }
        if (gradientAccumulationSteps <= 0) {
            throw new InvalidSettingException("gradient_accumulation_steps", "must be > 0, got " + gradientAccumulationSteps);
        }
        if (!SCHEDULERS.contains(lrSchedulerType)) {
            throw new InvalidSettingException("lr_scheduler_type", "expected cosine, linear or constant, got '" + lrSchedulerType + "'");
        }
        if (maxSteps <= 0 && numTrainEpochs <= 0) {
            throw new InvalidSettingException("max_steps", "set max_steps or num_train_epochs to a positive number");
        }
        if (warmupRatio < 0 || warmupRatio > 1) throw new InvalidSettingException("warmup_ratio", "must be in [0, 1], got " + warmupRatio);
        if (maxLength < 2) throw new InvalidSettingException("max_length", "must be >= 2, got " + maxLength);
        if (!(maxGradNorm >= 0)) throw new InvalidSettingException("max_grad_norm", "must be >= 0 (0: no clipping), got " + maxGradNorm);
        if (!(weightDecay >= 0)) throw new InvalidSettingException("weight_decay", "must be >= 0, got " + weightDecay);
        if (!(adamBeta1 >= 0 && adamBeta1 < 1)) throw new InvalidSettingException("adam_beta1", "must be in [0, 1), got " + adamBeta1);
        if (!(adamBeta2 >= 0 && adamBeta2 < 1)) throw new InvalidSettingException("adam_beta2", "must be in [0, 1), got " + adamBeta2);
        if (loggingSteps < 1) throw new InvalidSettingException("logging_steps", "must be >= 1, got " + loggingSteps);
        if (evalSteps < 0) throw new InvalidSettingException("eval_steps", "must be >= 0 (0: at the last step only), got " + evalSteps);
    }

    /** This config with some keys replaced (the shared binder, one source). */
    public TrainingConfig with(Map<String, ?> overrides, String source) {
        return ConfigBinder.of(TrainingConfig.class).bind(this, overrides, source);
    }

    /** The settings under their keys, in order. */
    public Map<String, Object> asMap() {
        return ConfigBinder.of(TrainingConfig.class).toMap(this);
    }

}
