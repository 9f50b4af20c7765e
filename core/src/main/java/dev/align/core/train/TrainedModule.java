package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.align.core.BadInputException;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.ParameterLayout;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model being trained with its own AdamW, learning-rate schedule and global-norm clipping, and the
 * files that checkpoint it: the model's weights and {@code optimizer.safetensors} (moments, with
 * AdamW's own update count in the metadata).
 */
final class TrainedModule implements AutoCloseable {
    final PolicyModel model;
    final AdamW adam;
    final LearningRateSchedule schedule;
    private final double maxGradNorm;
    /** Sub-directory of a checkpoint or run directory, "" for the policy. */
    private final String dir;

    /** One update: the norm before clipping, the learning rate, and whether it was applied. */
    record Update(double gradNorm, double learningRate, boolean applied) {}

    TrainedModule(PolicyModel model, String dir, LearningRateSchedule schedule, TrainingConfig config) {
        this.model = model;
        this.dir = dir;
        this.schedule = schedule;
        this.maxGradNorm = config.maxGradNorm();
        this.adam = new AdamW(model.manager(), new AdamW.Config(config.adamBeta1(), config.adamBeta2(),
                config.adamEpsilon(), config.weightDecay()));
    }

    /**
     * Clips and applies the accumulated gradients at optimizer step {@code step}, unless the loss or
     * the gradient norm is not finite (then the update is skipped, as DeepSpeed and Megatron do on
     * overflow); zeroes the gradients either way.
     */
    Update update(double loss, long step) {
        double lr = schedule.at(step);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double norm = Gradients.globalNorm(model.parameters().values());
            boolean apply = Double.isFinite(norm) && Double.isFinite(loss);
            if (apply) {
                Gradients.clip(model.parameters().values(), norm, maxGradNorm);
                adam.step(model.parameters(), lr);
            }
            Gradients.zero(model.parameters().values());
            return new Update(norm, lr, apply);
        }
    }

    Path in(Path root) {
        return dir.isEmpty() ? root : root.resolve(dir);
    }

    /** The model files alone (the end of a run). */
    void saveModel(Path root) throws java.io.IOException {
        Files.createDirectories(in(root));
        model.saveInto(in(root), ModelDirectory.SaveOptions.DEFAULT);
    }

    /** Weights and optimizer state into a checkpoint being written. */
    void save(Path checkpoint) throws java.io.IOException {
        saveModel(checkpoint);
        Map<String, Safetensors.Tensor> moments = new LinkedHashMap<>(); // HF names, like model.safetensors
        ParameterLayout layout = ParameterLayout.of(model.config());
        layout.split(tensors(adam.firstMoments())).forEach((k, t) -> moments.put("exp_avg." + k, t));
        layout.split(tensors(adam.secondMoments())).forEach((k, t) -> moments.put("exp_avg_sq." + k, t));
        try (var os = Files.newOutputStream(in(checkpoint).resolve(Trainer.OPTIMIZER))) {
            Safetensors.write(os, moments, Safetensors.DType.F32, Map.of("step", Long.toString(adam.stepCount())));
        }
    }

    /** Weights, moments and AdamW's own update count (not the global step: skipped steps took none). */
    void restore(Path checkpoint) {
        Path d = in(checkpoint);
        ModelDirectory.loadWeightsInto(model, d);
        Path file = d.resolve(Trainer.OPTIMIZER);
        Map<String, Safetensors.Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        Safetensors.read(file).forEach((k, t) -> {
            if (k.startsWith("exp_avg_sq.")) second.put(k.substring("exp_avg_sq.".length()), t);
            else if (k.startsWith("exp_avg.")) first.put(k.substring("exp_avg.".length()), t);
        });
        for (String name : first.keySet()) {
            if (!second.containsKey(name)) throw BadInputException.in(file, "has exp_avg." + name + " but no exp_avg_sq." + name);
        }
        for (String name : second.keySet()) {
            if (!first.containsKey(name)) throw BadInputException.in(file, "has exp_avg_sq." + name + " but no exp_avg." + name);
        }
        String count = Safetensors.metadata(file).get("step");
        if (count == null) throw BadInputException.in(file, "no 'step' in the metadata");
        ParameterLayout layout = ParameterLayout.of(model.config()); // moments are stored under HF names
        adam.restore(Long.parseLong(count), data(layout.fuse(first)), data(layout.fuse(second)), model.parameters());
    }

    private static Map<String, Safetensors.Tensor> tensors(Map<String, NDArray> arrays) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        arrays.forEach((k, a) -> out.put(k, new Safetensors.Tensor(a.getShape().getShape(), a.toFloatArray())));
        return out;
    }

    private static Map<String, float[]> data(Map<String, Safetensors.Tensor> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, t.data()));
        return out;
    }

    @Override
    public void close() {
        adam.close();
    }
}
