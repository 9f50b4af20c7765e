package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.ParameterLayout;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Safetensors;
import dev.align.core.model.Scalars;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training loop every method shares: shuffled micro-batches, gradient accumulation, global-norm
 * clipping, AdamW with warmup and decay, periodic evaluation, metrics in {@code metrics.jsonl},
 * atomic checkpoints ({@code checkpoint-STEP/}) and exact resumption.
 *
 * <p>An optimizer step whose loss or gradient norm is not finite is skipped (its gradients are
 * dropped) and counted as {@code skipped_steps}, as DeepSpeed and Megatron do on overflow.
 *
 * <p>Everything that decides the numbers is derived from the seed and the step: the data order of
 * each epoch is {@link EpochOrder#permutation}, and a checkpoint stores the
 * weights, the optimizer moments and the position in the data. A resumed run therefore logs the
 * same losses as an uninterrupted one.
 */
public final class Trainer {
    public static final String METRICS = "metrics.jsonl";
    public static final String STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String CONFIG = "config.yaml";

    private final PolicyModel model;
    private final Objective objective;
    private final TrainingConfig config;
    private final Path out;
    private final Map<String, Object> resolvedConfig;
    private final Progress.Factory progress;
    private final String task;

    /** What a finished run reports. */
    public record Result(long steps, double finalLoss, List<Map<String, Object>> log) {}

    public Trainer(String task, PolicyModel model, Objective objective, TrainingConfig config, Path out,
            Map<String, Object> resolvedConfig, Progress.Factory progress) {
        this.task = task;
        this.model = model;
        this.objective = objective;
        this.config = config;
        this.out = out;
        this.resolvedConfig = resolvedConfig;
        this.progress = progress;
    }

    /** Optimizer steps the whole run takes. */
    public long totalSteps() {
        if (config.maxSteps() > 0) return config.maxSteps();
        long perEpoch = (objective.size() + (long) config.perDeviceTrainBatchSize() * config.gradientAccumulationSteps() - 1)
                / ((long) config.perDeviceTrainBatchSize() * config.gradientAccumulationSteps());
        return perEpoch * config.numTrainEpochs();
    }

    /** Refuses to clobber a finished run, or to silently restart an unfinished one. */
    public static void checkOutput(Path out, boolean overwrite, boolean resume) {
        if (overwrite || !Files.isDirectory(out)) return;
        Path state = out.resolve(STATE);
        if (Files.exists(state) && Json.readObject(state).path("finished").asBoolean(false) && !resume) {
            throw BadInputException.in(out, "holds a finished run; pass --overwrite to replace it");
        }
        if (!resume && latestCheckpoint(out) != null) {
            throw BadInputException.in(out, "holds an unfinished run; pass --resume to continue it or --overwrite to restart");
        }
    }

    public Result train(boolean resume) {
        try {
            if (!resume && Files.isDirectory(out)) {
                clearRun();
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.writeString(out.resolve(CONFIG), TrainingConfig.toYaml(resolvedConfig));
        long total = totalSteps();
        int warmup = config.warmupSteps() > 0 ? config.warmupSteps() : (int) Math.ceil(config.warmupRatio() * total);
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(), warmup, (int) total,
                config.lrSchedulerType());
        model.setTrainable(true);
        int threads = OfflineDjl.threads();
        if (config.fullDeterminism()) OfflineDjl.setThreads(1);
        List<Map<String, Object>> log = new ArrayList<>();
        try (AdamW adam = new AdamW(model.manager(), new AdamW.Config(config.adamBeta1(), config.adamBeta2(),
                config.adamEpsilon(), config.weightDecay()))) {
            DataCursor cursor = new DataCursor(objective.size(), config.seed());
            long step = 0;
            if (resume) {
                Path checkpoint = latestCheckpoint(out);
                if (checkpoint != null) {
                    step = restore(checkpoint, adam, cursor);
                    log.addAll(truncateMetrics(step));
                }
            } else {
                AtomicFiles.writeString(out.resolve(METRICS), "");
            }
            int n = objective.size();
            double windowLoss = 0;
            Map<String, Double> windowMetrics = new LinkedHashMap<>();
            int windowSteps = 0;
            long windowTokens = 0;
            long windowStart = System.nanoTime();
            double lastLoss = Double.NaN;
            long skippedSteps = 0;
            try (Progress bar = progress.open(task, step, total)) {
                while (step < total) {
                    double stepLoss = 0;
                    for (int micro = 0; micro < config.gradientAccumulationSteps(); micro++) {
                        int[] batch = cursor.next(config.perDeviceTrainBatchSize());
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            Objective.Step s;
                            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                                s = objective.loss(model, batch);
                                gc.backward(s.loss().div(config.gradientAccumulationSteps()));
                            }
                            stepLoss += Scalars.toFloat(s.loss()) / config.gradientAccumulationSteps();
                            s.metrics().forEach((k, v) -> windowMetrics.merge(k, v / config.gradientAccumulationSteps(), Double::sum));
                            windowTokens += s.tokens();
                        }
                    }
                    double gradNorm;
                    double lr = schedule.at(step);
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        gradNorm = Gradients.globalNorm(model.parameters().values());
                        if (Double.isFinite(gradNorm) && Double.isFinite(stepLoss)) {
                            Gradients.clip(model.parameters().values(), gradNorm, config.maxGradNorm());
                            adam.step(model.parameters(), lr);
                        } else {
                            skippedSteps++; // an overflow must not turn every weight into NaN: skip this update
                        }
                        Gradients.zero(model.parameters().values());
                    }
                    step++;
                    windowLoss += stepLoss;
                    windowSteps++;
                    lastLoss = stepLoss;
                    boolean logNow = step % Math.max(1, config.loggingSteps()) == 0 || step == total;
                    boolean evalNow = config.evalSteps() > 0 && (step % config.evalSteps() == 0 || step == total);
                    if (logNow || evalNow) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("step", step);
                        row.put("epoch", round(step * (double) config.perDeviceTrainBatchSize()
                                * config.gradientAccumulationSteps() / n));
                        if (logNow) {
                            double seconds = (System.nanoTime() - windowStart) / 1e9;
                            row.put("loss", windowLoss / windowSteps);
                            row.put("learning_rate", lr);
                            row.put("grad_norm", gradNorm);
                            for (Map.Entry<String, Double> e : windowMetrics.entrySet()) row.put(e.getKey(), e.getValue() / windowSteps);
                            row.put("num_tokens", windowTokens);
                            row.put("tokens_per_second", windowTokens / seconds);
                            if (skippedSteps > 0) row.put("skipped_steps", skippedSteps);
                            bar.update(step, windowLoss / windowSteps, windowTokens / seconds);
                        }
                        if (evalNow) {
                            model.setTrainable(false);
                            objective.evaluate(model).forEach(row::put);
                            model.setTrainable(true);
                        }
                        appendMetrics(row);
                        log.add(row);
                        windowLoss = 0;
                        windowSteps = 0;
                        windowTokens = 0;
                        windowMetrics.clear();
                        windowStart = System.nanoTime();
                    }
                    if (config.saveSteps() > 0 && step % config.saveSteps() == 0 && step < total) {
                        checkpoint(step, adam, cursor);
                    }
                }
            }
            model.saveInto(out, ModelDirectory.SaveOptions.DEFAULT);
            writeState(out, step, cursor, true);
            return new Result(step, lastLoss, log);
        } finally {
            model.setTrainable(false);
            OfflineDjl.setThreads(threads);
        }
    }

    // ---- data order ----

    /** Position in the shuffled data: epoch and offset; each epoch's order derives from (seed, epoch). */
    static final class DataCursor {
        final int size;
        final long seed;
        int epoch;
        int position;
        int[] order;

        DataCursor(int size, long seed) {
            this.size = size;
            this.seed = seed;
            this.order = permutation(size, seed, 0);
        }

        int[] next(int count) {
            int[] batch = new int[count];
            for (int i = 0; i < count; i++) {
                if (position == size) {
                    epoch++;
                    position = 0;
                    order = permutation(size, seed, epoch);
                }
                batch[i] = order[position++];
            }
            return batch;
        }

        void seek(int epoch, int position) {
            this.epoch = epoch;
            this.position = position;
            this.order = permutation(size, seed, epoch);
        }

        private static int[] permutation(int n, long seed, int epoch) {
            return EpochOrder.permutation(n, seed, epoch);
        }
    }

    // ---- checkpoints ----

    private void checkpoint(long step, AdamW adam, DataCursor cursor) {
        Path dir = out.resolve("checkpoint-" + step);
        AtomicFiles.writeDirectory(dir, tmp -> {
            model.saveInto(tmp, ModelDirectory.SaveOptions.DEFAULT);
            Map<String, Safetensors.Tensor> moments = new LinkedHashMap<>(); // HF names, like model.safetensors
            ParameterLayout layout = ParameterLayout.of(model.config());
            layout.split(tensors(adam.firstMoments())).forEach((k, t) -> moments.put("exp_avg." + k, t));
            layout.split(tensors(adam.secondMoments())).forEach((k, t) -> moments.put("exp_avg_sq." + k, t));
            try (var os = Files.newOutputStream(tmp.resolve(OPTIMIZER))) {
                Safetensors.write(os, moments, Safetensors.DType.F32, Map.of("step", Long.toString(adam.stepCount())));
            }
            writeState(tmp, step, cursor, false);
        });
        pruneCheckpoints();
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

    private void writeState(Path dir, long step, DataCursor cursor, boolean finished) {
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.put("global_step", step);
        state.put("epoch", cursor.epoch);
        state.put("position", cursor.position);
        state.put("seed", config.seed());
        state.put("finished", finished);
        AtomicFiles.writeString(dir.resolve(STATE), Json.pretty(state));
    }

    private long restore(Path checkpoint, AdamW adam, DataCursor cursor) {
        ModelDirectory.loadWeightsInto(model, checkpoint);
        Map<String, Safetensors.Tensor> moments = Safetensors.read(checkpoint.resolve(OPTIMIZER));
        Map<String, Safetensors.Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        moments.forEach((k, t) -> {
            if (k.startsWith("exp_avg_sq.")) second.put(k.substring("exp_avg_sq.".length()), t);
            else if (k.startsWith("exp_avg.")) first.put(k.substring("exp_avg.".length()), t);
        });
        JsonNode state = Json.readObject(checkpoint.resolve(STATE));
        long step = state.get("global_step").asLong();
        ParameterLayout layout = ParameterLayout.of(model.config());
        adam.restore(step, data(layout.fuse(first)), data(layout.fuse(second)), model.parameters());
        cursor.seek(state.get("epoch").asInt(), state.get("position").asInt());
        return step;
    }

    static Path latestCheckpoint(Path out) {
        return checkpoints(out).stream().max(Comparator.comparingLong(Trainer::stepOf)).orElse(null);
    }

    private static List<Path> checkpoints(Path out) {
        if (!Files.isDirectory(out)) return List.of();
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.exists(p.resolve(STATE)))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long stepOf(Path checkpoint) {
        return Long.parseLong(checkpoint.getFileName().toString().substring("checkpoint-".length()));
    }

    private void pruneCheckpoints() {
        List<Path> all = new ArrayList<>(checkpoints(out));
        all.sort(Comparator.comparingLong(Trainer::stepOf));
        while (config.saveTotalLimit() > 0 && all.size() > config.saveTotalLimit()) {
            try {
                AtomicFiles.deleteRecursively(all.remove(0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void clearRun() throws IOException {
        for (Path p : checkpoints(out)) AtomicFiles.deleteRecursively(p);
        Files.deleteIfExists(out.resolve(STATE));
        Files.deleteIfExists(out.resolve(METRICS));
    }

    // ---- metrics ----

    private void appendMetrics(Map<String, Object> row) {
        try {
            Files.writeString(out.resolve(METRICS), Json.compact(row) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out.resolve(METRICS) + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the metric lines up to the checkpoint's step (the rest will be logged again). */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> truncateMetrics(long step) {
        Path file = out.resolve(METRICS);
        List<Map<String, Object>> kept = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    if (line.isBlank()) continue;
                    Map<String, Object> row = Json.MAPPER.readValue(line, LinkedHashMap.class);
                    if (((Number) row.get("step")).longValue() <= step) {
                        kept.add(row);
                        text.append(line).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.writeString(file, text.toString());
        return kept;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
