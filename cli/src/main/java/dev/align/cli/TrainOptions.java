package dev.align.cli;

import dev.align.core.BadInputException;
import dev.align.core.train.TrainingConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Options every training command shares. {@code --config file.yaml} holds any hyperparameter under
 * Hugging Face's names; flags given on the command line override it.
 */
final class TrainOptions {
    @Option(names = "--model", required = true, description = "Starting model directory (HF layout).") Path model;
    @Option(names = "--data", required = true, description = "Training data (JSONL, or .txt for pretraining).") Path data;
    @Option(names = "--eval-data", description = "Held-out data in the same format, evaluated every --eval-steps.") Path evalData;
    @Option(names = "--out", required = true, description = "Run directory: checkpoints, metrics.jsonl, config.yaml, final model.") Path out;
    @Option(names = "--config", description = "YAML file of hyperparameters (HF TrainingArguments names).") Path config;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.") boolean resume;
    @Option(names = "--overwrite", description = "Replace a finished or unfinished run in --out.") boolean overwrite;
    @Option(names = "--skip-bad-lines", description = "Skip and count malformed data lines instead of stopping.") boolean skipBadLines;
    @Option(names = "--packing", description = "Concatenate examples into max-length rows.") Boolean packing;

    @Option(names = "--learning-rate", description = "learning_rate (default 5e-5)") Double learningRate;
    @Option(names = "--epochs", description = "num_train_epochs (default 3; --max-steps wins)") Integer epochs;
    @Option(names = "--max-steps", description = "max_steps: optimizer steps in all") Integer maxSteps;
    @Option(names = "--batch-size", description = "per_device_train_batch_size (default 8)") Integer batchSize;
    @Option(names = "--grad-accum", description = "gradient_accumulation_steps (default 1)") Integer gradAccum;
    @Option(names = "--warmup-ratio", description = "warmup_ratio (default 0)") Double warmupRatio;
    @Option(names = "--warmup-steps", description = "warmup_steps, overrides the ratio (default 0)") Integer warmupSteps;
    @Option(names = "--lr-scheduler", description = "lr_scheduler_type: cosine (default), linear or constant") String scheduler;
    @Option(names = "--max-grad-norm", description = "max_grad_norm for global-norm clipping (default 1.0)") Double maxGradNorm;
    @Option(names = "--weight-decay", description = "weight_decay, AdamW (default 0)") Double weightDecay;
    @Option(names = "--logging-steps", description = "logging_steps: a metrics.jsonl line every N steps (default 10)") Integer loggingSteps;
    @Option(names = "--eval-steps", description = "eval_steps: evaluate --eval-data every N steps (default 0 = never)") Integer evalSteps;
    @Option(names = "--save-steps", description = "save_steps: a checkpoint every N steps (default 500; 0 = none)") Integer saveSteps;
    @Option(names = "--save-total-limit", description = "save_total_limit: checkpoints kept (default 2)") Integer saveTotalLimit;
    @Option(names = "--seed", description = "seed for the data order (default 42)") Long seed;
    @Option(names = "--full-determinism", description = "full_determinism: one PyTorch thread, bit-identical reruns and resumes")
    Boolean fullDeterminism;
    @Option(names = "--max-length", description = "max_length in tokens; longer examples are cut and counted (default 1024)") Integer maxLength;

    /** The shared config: defaults, then the YAML file, then flags; plus command-specific keys in {@code extras}. */
    TrainingConfig resolve(TrainingConfig defaults, Map<String, Object> extras) {
        Map<String, Object> fromFile = config == null ? Map.of() : TrainingConfig.readYaml(config);
        Map<String, Object> shared = new LinkedHashMap<>();
        Set<String> known = defaults.asMap().keySet();
        for (Map.Entry<String, Object> e : fromFile.entrySet()) {
            if (extras.containsKey(e.getKey())) {
                extras.put(e.getKey(), e.getValue());
            } else if (known.contains(e.getKey())) {
                shared.put(e.getKey(), e.getValue());
            } else {
                throw new BadInputException(config + ": unknown key '" + e.getKey() + "'");
            }
        }
        if (packing != null) extras.put("packing", packing);
        TrainingConfig c = defaults.with(shared, String.valueOf(config));
        Map<String, Object> flags = new LinkedHashMap<>();
        put(flags, "learning_rate", learningRate);
        put(flags, "num_train_epochs", epochs);
        put(flags, "max_steps", maxSteps);
        put(flags, "per_device_train_batch_size", batchSize);
        put(flags, "gradient_accumulation_steps", gradAccum);
        put(flags, "warmup_ratio", warmupRatio);
        put(flags, "warmup_steps", warmupSteps);
        put(flags, "lr_scheduler_type", scheduler);
        put(flags, "max_grad_norm", maxGradNorm);
        put(flags, "weight_decay", weightDecay);
        put(flags, "logging_steps", loggingSteps);
        put(flags, "eval_steps", evalSteps);
        put(flags, "save_steps", saveSteps);
        put(flags, "save_total_limit", saveTotalLimit);
        put(flags, "seed", seed);
        put(flags, "max_length", maxLength);
        put(flags, "full_determinism", fullDeterminism);
        return c.with(flags, "command line");
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) m.put(key, value);
    }

    /** config.yaml's content: every resolved value, plus what the run was given. */
    Map<String, Object> resolved(String command, TrainingConfig c, Map<String, Object> extras) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("command", command);
        all.put("model", model.toString());
        all.put("data", data.toString());
        all.put("eval_data", evalData == null ? null : evalData.toString());
        all.putAll(extras);
        all.putAll(c.asMap());
        return all;
    }

    /** A numeric command-specific option, from the YAML file or a flag. */
    static double number(Map<String, Object> extras, String key, Path source) {
        Object v = extras.get(key);
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new BadInputException(source + ": key '" + key + "': expected a number, got '" + v + "'");
        }
    }

    /** Reports lines left out with --skip-bad-lines. */
    void reportSkipped(java.io.PrintWriter out, dev.align.datasets.Dataset train) {
        if (!train.skippedLines().isEmpty()) {
            out.printf("skipped %d bad lines of %s (first: %s)%n", train.skippedLines().size(), data,
                    train.skippedLines().get(0));
        }
    }
}
