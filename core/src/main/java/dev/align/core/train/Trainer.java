package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.Arrays;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import dev.align.core.config.ConfigFile;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.model.PolicyModel;
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
 * The training loop every method shares, offline (SFT, reward models, DPO: shuffled micro-batches of a
 * dataset, gradient accumulation) or online (PPO, GRPO, RLOO: each step collects experience with
 * gradients off, then runs {@code num_ppo_epochs × num_mini_batches} updates over it, training a policy
 * and an optional separate critic). Both modes share global-norm clipping, AdamW with warmup and decay,
 * periodic evaluation, metrics in {@code metrics.jsonl}, the progress display, atomic checkpoints
 * ({@code checkpoint-STEP/}) and exact resumption.
 *
 * <p>An update whose loss or gradient norm is not finite is skipped (its gradients are dropped) and
 * counted as {@code skipped_steps} (online: skipped updates of either module), as DeepSpeed and
 * Megatron do on overflow. AdamW's bias correction counts only the updates it applied.
 *
 * <p>Everything that decides the numbers is derived from the seed and the step or stored in the
 * checkpoint: the data order of each epoch is {@link EpochOrder#permutation}, an online batch's
 * mini-batch order is derived from {@link Seeds#derive}(seed, {@link Seeds#MINI_BATCHES}, step), and a
 * checkpoint holds each module's weights and optimizer moments (the critic's under {@code critic/}),
 * AdamW's own update count, the position in the data and the online method's {@link
 * OnlineObjective#state()}, the logging window (sums since the last logged step, as exact bits) and
 * the cumulative {@code num_tokens}. A resumed run therefore logs the same numbers as an uninterrupted
 * one ({@code tokens_per_second}, a rate over wall time, aside). A checkpoint also records the
 * settings that decide the numbers ({@link #RESUME_KEYS}, the derived step and warmup counts, the
 * online settings, the online method's {@link OnlineObjective#settings()}); resuming under different
 * ones is refused in one line naming the key. Held-out data is evaluated every {@code eval_steps}
 * steps and at the last step (with {@code eval_steps} 0, only there).
 *
 * <p>The whole run has autograd recording off on its thread ({@link OfflineDjl#noGrad}), whatever the
 * thread's mode: collection, evaluation and optimizer updates build no graph; only the losses computed
 * inside a gradient collector record one.
 */
public final class Trainer {
    public static final String METRICS = "metrics.jsonl";
    public static final String STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String CONFIG = "config.yaml";
    /** Where a separate critic's weights and moments live inside a run or checkpoint directory. */
    public static final String CRITIC = "critic";
    /** Settings a resumed run must share with its checkpoint (besides the derived step and warmup counts). */
    static final List<String> RESUME_KEYS = List.of("learning_rate", "per_device_train_batch_size",
            "gradient_accumulation_steps", "lr_scheduler_type", "max_grad_norm", "weight_decay", "adam_beta1",
            "adam_beta2", "adam_epsilon", "seed", "max_length");

    private final String task;
    private final PolicyModel policy;
    private final PolicyModel critic;
    private final Objective objective;
    private final OnlineObjective<?> online;
    private final OnlineConfig onlineConfig;
    private final TrainingConfig config;
    private final Path out;
    private final Map<String, Object> resolvedConfig;
    private final Progress.Factory progress;

    /** What a finished run reports. */
    public record Result(long steps, double finalLoss, List<Map<String, Object>> log) {}

    /** Offline training of one model on a dataset. */
    public Trainer(String task, PolicyModel model, Objective objective, TrainingConfig config, Path out,
            Map<String, Object> resolvedConfig, Progress.Factory progress) {
        this(task, model, null, objective, null, null, config, out, resolvedConfig, progress);
    }

    /**
     * Online training of a policy and an optional separate critic (null for none) for {@code max_steps}
     * collections; the critic gets its own AdamW at {@link OnlineConfig#criticRate}. Each collected
     * batch's rows must split evenly into {@code num_mini_batches × gradient_accumulation_steps}
     * micro-batches (a {@link BadInputException} otherwise); {@code per_device_train_batch_size} does
     * not apply.
     */
    public Trainer(String task, PolicyModel policy, PolicyModel critic, OnlineObjective<?> objective,
            TrainingConfig config, OnlineConfig online, Path out, Map<String, Object> resolvedConfig,
            Progress.Factory progress) {
        this(task, policy, critic, null, objective, online, config, out, resolvedConfig, progress);
        if (config.maxSteps() <= 0) throw new BadInputException("online training: set max_steps");
    }

    private Trainer(String task, PolicyModel policy, PolicyModel critic, Objective objective, OnlineObjective<?> online,
            OnlineConfig onlineConfig, TrainingConfig config, Path out, Map<String, Object> resolvedConfig,
            Progress.Factory progress) {
        this.task = task;
        this.policy = policy;
        this.critic = critic;
        this.objective = objective;
        this.online = online;
        this.onlineConfig = onlineConfig;
        this.config = config;
        this.out = out;
        this.resolvedConfig = resolvedConfig;
        this.progress = progress;
    }

    /** Optimizer steps the whole run takes (online: collections). */
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

    // ---- the loop both modes share ----

    /** What one step reports to the log; {@code skipped} counts its updates dropped as non-finite. */
    private record StepOutcome(double loss, Map<String, Double> latest, Map<String, Double> averaged, long tokens,
            int skipped) {}

    /** The part of a step that differs between modes, and the state it carries across steps. */
    private interface Steps {
        StepOutcome step(long step);

        /** Position fields written into {@code trainer_state.json}. */
        void save(ObjectNode state);

        void restore(JsonNode state);

        /** Fields logged after {@code step} (offline: {@code epoch}). */
        Map<String, Object> position(long step);

        Map<String, Double> evaluate();
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
        AtomicFiles.writeString(out.resolve(CONFIG), ConfigFile.toYaml(resolvedConfig));
        long total = totalSteps();
        List<TrainedModule> modules = new ArrayList<>();
        int threads = OfflineDjl.threads();
        if (config.fullDeterminism()) OfflineDjl.setThreads(1);
        List<Map<String, Object>> log = new ArrayList<>();
        try (OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            int warmup = warmup(total);
            modules.add(new TrainedModule(policy, "", new LearningRateSchedule(config.learningRate(), warmup, (int) total,
                    config.lrSchedulerType()), config));
            if (critic != null) {
                modules.add(new TrainedModule(critic, CRITIC, new LearningRateSchedule(
                        onlineConfig.criticRate(config.learningRate()), warmup, (int) total, config.lrSchedulerType()), config));
            }
            for (TrainedModule m : modules) m.model.setTrainable(true);
            Steps steps = online != null ? new OnlineSteps<>(online, modules) : new OfflineSteps(modules.get(0));
            long step = 0;
            long skipped = 0;
            LogWindow window = new LogWindow();
            if (resume && latestCheckpoint(out) != null) {
                Path checkpoint = latestCheckpoint(out);
                JsonNode state = Json.readObject(checkpoint.resolve(STATE));
                checkSettings(checkpoint.resolve(STATE), state.path("settings"));
                for (TrainedModule m : modules) m.restore(checkpoint);
                step = state.get("global_step").asLong();
                skipped = state.path("skipped_steps").asLong(0);
                steps.restore(state);
                window.restore(state.path("log_window"));
                log.addAll(truncateMetrics(step));
            } else {
                AtomicFiles.writeString(out.resolve(METRICS), "");
            }
            double lastLoss = Double.NaN;
            if (config.evalOnStart() && step == 0) { // HF's eval_on_start: the starting model's numbers, as step 0
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", 0L);
                row.putAll(steps.position(0));
                for (TrainedModule m : modules) m.model.setTrainable(false);
                steps.evaluate().forEach(row::put);
                for (TrainedModule m : modules) m.model.setTrainable(true);
                if (row.size() > 1 + steps.position(0).size()) {
                    appendMetrics(row);
                    log.add(row);
                }
            }
            try (Progress bar = progress.open(task, step, total)) {
                while (step < total) {
                    StepOutcome s = steps.step(step);
                    skipped += s.skipped();
                    step++;
                    window.add(s);
                    lastLoss = s.loss();
                    boolean logNow = step % Math.max(1, config.loggingSteps()) == 0 || step == total;
                    // eval_steps 0: held-out data (if the objective has any) is evaluated once, at the last step
                    boolean evalNow = step == total || config.evalSteps() > 0 && step % config.evalSteps() == 0;
                    if (logNow || evalNow) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("step", step);
                        row.putAll(steps.position(step));
                        if (logNow) {
                            double seconds = (System.nanoTime() - window.start) / 1e9;
                            row.put("loss", window.loss / window.steps);
                            row.putAll(s.latest());
                            for (Map.Entry<String, Double> e : window.metrics.entrySet()) row.put(e.getKey(), e.getValue() / window.steps);
                            row.put("num_tokens", window.totalTokens);
                            row.put("tokens_per_second", window.tokens / seconds);
                            if (skipped > 0) row.put("skipped_steps", skipped);
                            bar.update(step, window.loss / window.steps, window.tokens / seconds);
                            window.clear();
                        }
                        if (evalNow) {
                            for (TrainedModule m : modules) m.model.setTrainable(false);
                            steps.evaluate().forEach(row::put);
                            for (TrainedModule m : modules) m.model.setTrainable(true);
                        }
                        appendMetrics(row);
                        log.add(row);
                    }
                    if (config.saveSteps() > 0 && step % config.saveSteps() == 0 && step < total) {
                        checkpoint(step, skipped, window, modules, steps);
                    }
                }
            }
            for (TrainedModule m : modules) {
                try {
                    m.saveModel(out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            writeState(out, step, skipped, window, steps, true);
            return new Result(step, lastLoss, log);
        } finally {
            for (TrainedModule m : modules) {
                m.model.setTrainable(false);
                m.close();
            }
            OfflineDjl.setThreads(threads);
        }
    }

    // ---- offline: micro-batches of a dataset ----

    private final class OfflineSteps implements Steps {
        private final TrainedModule module;
        private final EpochCursor cursor;

        OfflineSteps(TrainedModule module) {
            this.module = module;
            this.cursor = new EpochCursor(objective.size(), config.seed());
        }

        @Override
        public StepOutcome step(long step) {
            int accumulation = config.gradientAccumulationSteps();
            double stepLoss = 0;
            long tokens = 0;
            Map<String, Double> metrics = new LinkedHashMap<>();
            for (int micro = 0; micro < accumulation; micro++) {
                int[] batch = cursor.next(config.perDeviceTrainBatchSize());
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Objective.Step s;
                    try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                        s = objective.loss(module.model, batch);
                        gc.backward(s.loss().div(Scalars.constant(s.loss(), accumulation)));
                    }
                    stepLoss += Scalars.toFloat(s.loss()) / accumulation;
                    s.metrics().forEach((k, v) -> metrics.merge(k, v / accumulation, Double::sum));
                    tokens += s.tokens();
                }
            }
            TrainedModule.Update u = module.update(stepLoss, step);
            Map<String, Double> latest = new LinkedHashMap<>();
            latest.put("learning_rate", u.learningRate());
            latest.put("grad_norm", u.gradNorm());
            return new StepOutcome(stepLoss, latest, metrics, tokens, u.applied() ? 0 : 1);
        }

        @Override
        public void save(ObjectNode state) {
            state.put("epoch", cursor.epoch());
            state.put("position", cursor.position());
        }

        @Override
        public void restore(JsonNode state) {
            cursor.seek(state.get("epoch").asInt(), state.get("position").asInt());
        }

        @Override
        public Map<String, Object> position(long step) {
            return Map.of("epoch", round(step * (double) config.perDeviceTrainBatchSize()
                    * config.gradientAccumulationSteps() / objective.size()));
        }

        @Override
        public Map<String, Double> evaluate() {
            return objective.evaluate(module.model);
        }
    }

    // ---- online: collect, then epochs of mini-batch updates ----

    private final class OnlineSteps<E extends OnlineObjective.Experience> implements Steps {
        private final OnlineObjective<E> objective;
        private final TrainedModule policyModule;
        private final TrainedModule criticModule;
        private final OnlineObjective.Modules modules;

        OnlineSteps(OnlineObjective<E> objective, List<TrainedModule> trained) {
            this.objective = objective;
            this.policyModule = trained.get(0);
            this.criticModule = trained.size() > 1 ? trained.get(1) : null;
            this.modules = new OnlineObjective.Modules(policy, critic);
        }

        @Override
        public StepOutcome step(long step) {
            try (NDScope scope = new NDScope()) { // the experience's arrays live for this step
                scope.suppressNotUsedWarning();
                E experience = objective.collect(modules, step);
                long updateStart = System.nanoTime();
                int n = experience.rows();
                int miniBatches = onlineConfig.numMiniBatches();
                int accumulation = config.gradientAccumulationSteps();
                int micro = miniBatches * accumulation; // micro-batches per pass, each of n / micro rows
                if (n == 0 || n % micro != 0) {
                    throw new BadInputException("online training: a batch of " + n + " rows does not split evenly into "
                            + "num_mini_batches (" + miniBatches + ") × gradient_accumulation_steps (" + accumulation
                            + ") micro-batches; make the rows per step a multiple of " + micro);
                }
                int microRows = n / micro;
                Map<String, Double> averaged = new LinkedHashMap<>(experience.metrics());
                Map<String, Double> updateMetrics = new LinkedHashMap<>();
                double policyLoss = 0, criticLoss = 0;
                TrainedModule.Update policyUpdate = null, criticUpdate = null;
                int skipped = 0;
                int updates = onlineConfig.numEpochs() * miniBatches;
                long shuffle = Seeds.derive(config.seed(), Seeds.MINI_BATCHES, step);
                for (int epoch = 0; epoch < onlineConfig.numEpochs(); epoch++) {
                    int[] order = EpochOrder.permutation(n, shuffle, epoch);
                    for (int mb = 0; mb < miniBatches; mb++) {
                        double pl = 0, cl = 0;
                        for (int a = 0; a < accumulation; a++) {
                            int from = (mb * accumulation + a) * microRows;
                            int[] rows = Arrays.copyOfRange(order, from, from + microRows);
                            try (NDScope microScope = new NDScope()) {
                                microScope.suppressNotUsedWarning();
                                OnlineObjective.Step s;
                                try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                                    s = objective.loss(modules, experience, rows);
                                    NDArray total = s.policyLoss().div(Scalars.constant(s.policyLoss(), accumulation));
                                    if (s.criticLoss() != null) total = total.add(s.criticLoss().div(Scalars.constant(s.criticLoss(), accumulation)));
                                    gc.backward(total);
                                }
                                pl += Scalars.toFloat(s.policyLoss()) / accumulation;
                                if (s.criticLoss() != null) cl += Scalars.toFloat(s.criticLoss()) / accumulation;
                                s.metrics().forEach((k, v) -> updateMetrics.merge(k, v / accumulation / updates, Double::sum));
                            }
                        }
                        policyUpdate = policyModule.update(pl, step);
                        if (!policyUpdate.applied()) skipped++;
                        if (criticModule != null) {
                            criticUpdate = criticModule.update(cl, step);
                            if (!criticUpdate.applied()) skipped++;
                        }
                        policyLoss += pl / updates;
                        criticLoss += cl / updates;
                    }
                }
                Map<String, Double> latest = new LinkedHashMap<>();
                latest.put("learning_rate", policyUpdate.learningRate());
                latest.put("grad_norm", policyUpdate.gradNorm());
                if (criticUpdate != null) {
                    latest.put("critic_learning_rate", criticUpdate.learningRate());
                    latest.put("critic_grad_norm", criticUpdate.gradNorm());
                    averaged.put("critic_loss", criticLoss); // the critic module's loss as the objective scales it
                }
                averaged.putAll(updateMetrics);
                averaged.put("time/update", (System.nanoTime() - updateStart) / 1e9); // seconds of this step's updates
                return new StepOutcome(policyLoss, latest, averaged, experience.tokens(), skipped);
            }
        }

        @Override
        public void save(ObjectNode state) {
            state.set("objective_state", Json.MAPPER.valueToTree(objective.state()));
        }

        @Override
        @SuppressWarnings("unchecked")
        public void restore(JsonNode state) {
            objective.restore(Json.MAPPER.convertValue(state.path("objective_state"), LinkedHashMap.class));
        }

        @Override
        public Map<String, Object> position(long step) {
            return Map.of();
        }

        @Override
        public Map<String, Double> evaluate() {
            return objective.evaluate(modules);
        }
    }

    // ---- checkpoints ----

    private void checkpoint(long step, long skipped, LogWindow window, List<TrainedModule> modules, Steps steps) {
        Path dir = out.resolve("checkpoint-" + step);
        AtomicFiles.writeDirectory(dir, tmp -> {
            for (TrainedModule m : modules) m.save(tmp);
            writeState(tmp, step, skipped, window, steps, false);
        });
        pruneCheckpoints();
    }

    private void writeState(Path dir, long step, long skipped, LogWindow window, Steps steps, boolean finished) {
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.put("global_step", step);
        state.put("skipped_steps", skipped);
        steps.save(state);
        state.put("seed", config.seed());
        state.set("settings", settings());
        state.set("log_window", window.save());
        state.put("finished", finished);
        AtomicFiles.writeString(dir.resolve(STATE), Json.pretty(state));
    }

    private int warmup(long total) {
        return config.warmupSteps() > 0 ? config.warmupSteps() : (int) Math.ceil(config.warmupRatio() * total);
    }

    /** The settings that decide the numbers of a run, as its checkpoints record them. */
    private ObjectNode settings() {
        ObjectNode s = Json.MAPPER.createObjectNode();
        Map<String, Object> all = config.asMap();
        long total = totalSteps();
        s.put("total_steps", total);
        s.put("warmup_steps", warmup(total));
        for (String key : RESUME_KEYS) s.set(key, Json.MAPPER.valueToTree(all.get(key)));
        if (onlineConfig != null) onlineConfig.asMap().forEach((k, v) -> s.set(k, Json.MAPPER.valueToTree(v)));
        if (online != null) online.settings().forEach((k, v) -> s.set(k, Json.MAPPER.valueToTree(v)));
        return s;
    }

    /** Refuses to resume a checkpoint under settings that would silently change its numbers. */
    private void checkSettings(Path stateFile, JsonNode saved) {
        ObjectNode now = settings();
        for (var it = now.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode was = saved.get(e.getKey());
            if (was != null && !was.asText().equals(e.getValue().asText())) {
                String key = e.getKey().equals("total_steps") ? "total_steps (max_steps, num_train_epochs)" : e.getKey();
                throw BadInputException.in(stateFile, "was saved with " + key + " " + was.asText() + ", the config says "
                        + e.getValue().asText() + "; resume with the same settings or pass --overwrite");
            }
        }
    }

    /**
     * The sums since the last logged step, and the cumulative token count; checkpoints store the doubles
     * as hex strings ({@link Double#toHexString}), which read back to the same bits.
     */
    private static final class LogWindow {
        double loss;
        final Map<String, Double> metrics = new LinkedHashMap<>();
        int steps;
        long tokens;
        long totalTokens;
        long start = System.nanoTime();

        void add(StepOutcome s) {
            loss += s.loss();
            steps++;
            tokens += s.tokens();
            totalTokens += s.tokens();
            s.averaged().forEach((k, v) -> metrics.merge(k, v, Double::sum));
        }

        void clear() {
            loss = 0;
            steps = 0;
            tokens = 0;
            metrics.clear();
            start = System.nanoTime();
        }

        ObjectNode save() {
            ObjectNode w = Json.MAPPER.createObjectNode();
            w.put("loss", Double.toHexString(loss));
            ObjectNode m = w.putObject("metrics");
            metrics.forEach((k, v) -> m.put(k, Double.toHexString(v)));
            w.put("steps", steps);
            w.put("tokens", tokens);
            w.put("num_tokens", totalTokens);
            return w;
        }

        /** Reads what {@link #save} wrote; a checkpoint without a window starts an empty one. */
        void restore(JsonNode w) {
            if (w.isMissingNode()) return;
            loss = Double.parseDouble(w.get("loss").asText());
            w.get("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), Double.parseDouble(e.getValue().asText())));
            steps = w.get("steps").asInt();
            tokens = w.get("tokens").asLong();
            totalTokens = w.get("num_tokens").asLong();
        }
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
        if (Files.isDirectory(out.resolve(CRITIC))) AtomicFiles.deleteRecursively(out.resolve(CRITIC));
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
