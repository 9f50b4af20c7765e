package dev.align.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align.core.BadInputException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hyper-parameters shared by every trainer, under Hugging Face TrainingArguments' names so a TRL
 * config reads the same. {@link #DEFAULTS} follow HF where HF has a default.
 *
 * <p>{@code full_determinism}: PyTorch's multi-threaded CPU kernels very rarely round differently from
 * run to run (measured: 1 of 299 identical backward passes differed in the last bits with 2 threads,
 * 0 of 299 with 1). With it on, training uses one intra-op thread, so a run and its resumption are
 * bit-identical, at about half the speed on 2 cores.
 */
public record TrainingConfig(
        double learningRate,
        int numTrainEpochs,
        int maxSteps,
        int perDeviceTrainBatchSize,
        int gradientAccumulationSteps,
        double warmupRatio,
        int warmupSteps,
        String lrSchedulerType,
        double maxGradNorm,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        int loggingSteps,
        int evalSteps,
        int saveSteps,
        int saveTotalLimit,
        long seed,
        int maxLength,
        boolean fullDeterminism) {

    public static final TrainingConfig DEFAULTS = new TrainingConfig(5e-5, 3, -1, 8, 1, 0.0, 0, "cosine", 1.0, 0.0,
            0.9, 0.999, 1e-8, 10, 0, 500, 2, 42, 1024, false);

    /** The YAML keys, in order. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("learning_rate", learningRate);
        m.put("num_train_epochs", numTrainEpochs);
        m.put("max_steps", maxSteps);
        m.put("per_device_train_batch_size", perDeviceTrainBatchSize);
        m.put("gradient_accumulation_steps", gradientAccumulationSteps);
        m.put("warmup_ratio", warmupRatio);
        m.put("warmup_steps", warmupSteps);
        m.put("lr_scheduler_type", lrSchedulerType);
        m.put("max_grad_norm", maxGradNorm);
        m.put("weight_decay", weightDecay);
        m.put("adam_beta1", adamBeta1);
        m.put("adam_beta2", adamBeta2);
        m.put("adam_epsilon", adamEpsilon);
        m.put("logging_steps", loggingSteps);
        m.put("eval_steps", evalSteps);
        m.put("save_steps", saveSteps);
        m.put("save_total_limit", saveTotalLimit);
        m.put("seed", seed);
        m.put("max_length", maxLength);
        m.put("full_determinism", fullDeterminism);
        return m;
    }

    public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Overlays YAML-style keys onto this config; an unknown key or a wrong type is a one-line error. */
    public TrainingConfig with(Map<String, ?> overrides, String source) {
        Map<String, Object> m = asMap();
        for (Map.Entry<String, ?> e : overrides.entrySet()) {
            if (!m.containsKey(e.getKey())) {
                throw new BadInputException(source + ": unknown key '" + e.getKey() + "'");
            }
            Object old = m.get(e.getKey());
            Object v = e.getValue();
            try {
                if (old instanceof Double) v = ((Number) v).doubleValue();
                else if (old instanceof Integer) v = toInt(v);
                else if (old instanceof Long) v = ((Number) v).longValue();
                else if (old instanceof String) v = v.toString();
                else if (old instanceof Boolean && !(v instanceof Boolean)) throw new ClassCastException();
            } catch (ClassCastException | ArithmeticException ex) {
                String expected = old instanceof Double ? "a number" : old instanceof String ? "a string"
                        : old instanceof Boolean ? "true or false" : "an integer";
                throw new BadInputException(source + ": key '" + e.getKey() + "': expected " + expected + ", got '" + v + "'");
            }
            m.put(e.getKey(), v);
        }
        TrainingConfig c = new TrainingConfig((Double) m.get("learning_rate"), (Integer) m.get("num_train_epochs"),
                (Integer) m.get("max_steps"), (Integer) m.get("per_device_train_batch_size"),
                (Integer) m.get("gradient_accumulation_steps"), (Double) m.get("warmup_ratio"), (Integer) m.get("warmup_steps"),
                (String) m.get("lr_scheduler_type"), (Double) m.get("max_grad_norm"), (Double) m.get("weight_decay"),
                (Double) m.get("adam_beta1"), (Double) m.get("adam_beta2"), (Double) m.get("adam_epsilon"),
                (Integer) m.get("logging_steps"), (Integer) m.get("eval_steps"), (Integer) m.get("save_steps"),
                (Integer) m.get("save_total_limit"), (Long) m.get("seed"), (Integer) m.get("max_length"),
                (Boolean) m.get("full_determinism"));
        c.validate(source);
        return c;
    }

    private static int toInt(Object v) {
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return Math.toIntExact(n.longValue());
        throw new ClassCastException();
    }

    void validate(String source) {
        if (learningRate <= 0) throw new BadInputException(source + ": learning_rate must be > 0");
        if (perDeviceTrainBatchSize <= 0 || gradientAccumulationSteps <= 0) {
            throw new BadInputException(source + ": batch size and gradient_accumulation_steps must be > 0");
        }
        if (!lrSchedulerType.equals("cosine") && !lrSchedulerType.equals("linear") && !lrSchedulerType.equals("constant")) {
            throw new BadInputException(source + ": lr_scheduler_type must be cosine, linear or constant");
        }
        if (maxSteps <= 0 && numTrainEpochs <= 0) throw new BadInputException(source + ": set max_steps or num_train_epochs");
        if (maxLength < 2) throw new BadInputException(source + ": max_length must be >= 2");
    }

    /** Reads a YAML mapping of keys to values; callers decide which keys they accept. */
    public static Map<String, Object> readYaml(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node == null || node.isNull()) return Map.of();
            if (!node.isObject()) throw BadInputException.in(file, "expected a mapping of keys to values");
            Map<String, Object> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), YAML.treeToValue(e.getValue(), Object.class));
            }
            return out;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "invalid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public static String toYaml(Map<String, ?> values) {
        try {
            ObjectNode n = YAML.valueToTree(values);
            return YAML.writeValueAsString(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
