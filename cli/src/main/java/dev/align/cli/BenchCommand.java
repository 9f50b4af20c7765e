package dev.align.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.OfflineDjl;
import dev.align.core.io.Json;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.rollout.RolloutStats;
import dev.align.core.tokenizer.Tokenizer;
import dev.align.core.train.AdamW;
import dev.align.core.train.CausalLmLoss;
import dev.align.core.train.Gradients;
import dev.align.dpo.DpoLoss;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code align bench}: speed on this machine. Matmul peak, training throughput of a 6-layer d=256
 * model as a fraction of that peak, DPO pairs/s with and without a live reference model,
 * generation with and without the KV cache, and the rollout engine's sampling speed against the
 * compute bound (batch 64) and the memory-read floor (batch 1), with its sampling share of a step.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure matmul peak, training and generation speed.")
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin DeviceOption device;
    @Option(names = "--layers", defaultValue = "6") int layers;
    @Option(names = "--hidden", defaultValue = "256") int hidden;
    @Option(names = "--heads", defaultValue = "4") int heads;
    @Option(names = "--vocab", defaultValue = "8192") int vocab;
    @Option(names = "--seq-len", defaultValue = "256") int seqLen;
    @Option(names = "--batch", defaultValue = "8", description = "Sequences per optimizer step (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--micro-batch", defaultValue = "4",
            description = "Sequences per forward/backward pass; gradients accumulate over batch/micro-batch passes (default: ${DEFAULT-VALUE}).")
    int microBatch;
    @Option(names = "--train-steps", defaultValue = "9", description = "Measured optimizer steps; the median step time counts (default: ${DEFAULT-VALUE}).") int trainSteps;
    @Option(names = "--new-tokens", defaultValue = "256") int newTokens;
    @Option(names = "--gemm-size", defaultValue = "2048") int gemmSize;
    @Option(names = "--json", description = "Also print the results as one JSON object.") boolean json;
    @Option(names = "--sections", split = ",", defaultValue = "train,dpo,generate,rollout,ppo,grpo",
            description = "Which measurements to run (default: ${DEFAULT-VALUE}).") List<String> sections;
    @Option(names = "--rollout-vocabs", split = ",", defaultValue = "8192,32768",
            description = "Vocabulary sizes of the rollout models (default: ${DEFAULT-VALUE}).") List<Integer> rolloutVocabs;
    @Option(names = "--rollout-batch", defaultValue = "64") int rolloutBatch;
    @Option(names = "--rollout-new-tokens", defaultValue = "128") int rolloutNewTokens;
    @Option(names = "--threads", defaultValue = "" + GenerateCommand.DECODE_THREADS,
            description = "PyTorch threads while decoding; 0 = PyTorch's default (default: ${DEFAULT-VALUE}).") int threads;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode results = Json.MAPPER.createObjectNode();
        try (NDManager manager = device.newManager()) {
            double peak = gemmPeak(manager);
            results.put("gemm_gflops", peak);
            out.printf("matmul peak         %8.1f GFLOP/s  (float32 %dx%d GEMM, best of 10)%n", peak, gemmSize, gemmSize);

            ModelConfig config = ModelConfig.llama("llama", vocab, hidden, layers, heads, heads,
                    (int) Math.ceil(8.0 / 3 * hidden / 16) * 16, Math.max(1024, seqLen + newTokens + 32), false);
            try (TransformerPolicy model = TransformerPolicy.initialize(manager, config, Tokenizer.byteLevel(), 1)) {
                long params = model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
                long flopParams = params - (long) vocab * hidden; // the input embedding is a lookup, not a matmul
                double flopsPerToken = 6.0 * flopParams + 12.0 * layers * seqLen * hidden;
                results.put("params", params);
                if (sections.contains("train")) {
                    double trainTps = trainTokensPerSecond(manager, model);
                    double fraction = trainTps * flopsPerToken / 1e9 / peak;
                    results.put("train_tokens_per_second", trainTps);
                    results.put("train_fraction_of_peak", fraction);
                    out.printf("training            %8.0f tokens/s  %d layers, d=%d, vocab %d, T=%d, batch %d (micro-batch %d), %,d params%n",
                            trainTps, layers, hidden, vocab, seqLen, batch, microBatch, params);
                    out.printf("                    %8.1f GFLOP/s = %.0f%% of peak (6·N·tokens + attention)  target >= 50%%: %s%n",
                            trainTps * flopsPerToken / 1e9, 100 * fraction, fraction >= 0.5 ? "PASS" : "FAIL");
                }
                if (sections.contains("dpo")) {
                    double dpoLive = dpoPairsPerSecond(manager, model, false);
                    double dpoPrecomputed = dpoPairsPerSecond(manager, model, true);
                    results.put("dpo_pairs_per_second", dpoLive);
                    results.put("dpo_precomputed_ref_pairs_per_second", dpoPrecomputed);
                    out.printf("DPO                 %8.2f pairs/s with the reference model, %.2f with precomputed reference "
                            + "log-probs (T=%d, %d pairs per step in micro-batches of %d)%n", dpoLive, dpoPrecomputed, seqLen,
                            batch / 2, Math.max(1, microBatch / 2));
                }
                if (sections.contains("generate") && newTokens > 0) {
                    double b1Cache = generationTokensPerSecond(model, 1, true);
                    double b1NoCache = generationTokensPerSecond(model, 1, false);
                    double b8Cache = generationTokensPerSecond(model, 8, true);
                    double b8NoCache = generationTokensPerSecond(model, 8, false);
                    results.put("generate_b1_cache_tokens_per_second", b1Cache);
                    results.put("generate_b1_nocache_tokens_per_second", b1NoCache);
                    results.put("generate_b8_cache_tokens_per_second", b8Cache);
                    results.put("generate_b8_nocache_tokens_per_second", b8NoCache);
                    out.printf("generate batch 1    %8.1f tokens/s with KV cache, %8.1f without (%d new tokens)%n",
                            b1Cache, b1NoCache, newTokens);
                    out.printf("generate batch 8    %8.1f tokens/s with KV cache, %8.1f without%n", b8Cache, b8NoCache);
                    double speedup8 = b8Cache / b8NoCache;
                    double speedup1 = b1Cache / b1NoCache;
                    double batchGain = b8Cache / b1Cache;
                    results.put("kv_cache_speedup_batch8", speedup8);
                    results.put("kv_cache_speedup_batch1", speedup1);
                    results.put("batch8_over_batch1", batchGain);
                    out.printf("KV cache speed-up   %8.1fx at batch 8  target >= 8x: %s%n", speedup8, speedup8 >= 8 ? "PASS" : "FAIL");
                    // At batch 1 a cached step is bound by reading every weight once; recomputation is bound by compute.
                    double bandwidth = readBandwidth(manager);
                    double weightBytes = 4.0 * (params - (long) vocab * hidden); // float32, embedding rows are looked up
                    double floorMs = weightBytes / (bandwidth * 1e9) * 1e3;
                    double bestSpeedup1 = (1e3 / b1NoCache) / floorMs;
                    results.put("memory_read_gb_per_second", bandwidth);
                    results.put("batch1_step_floor_ms", floorMs);
                    out.printf("KV cache speed-up   %8.1fx at batch 1  (a cached step reads %.1f MB of weights: at the measured %.1f GB/s"
                            + " that is >= %.2f ms/token, so at most %.1fx over recomputation's %.2f ms/token)%n", speedup1,
                            weightBytes / 1e6, bandwidth, floorMs, bestSpeedup1, 1e3 / b1NoCache);
                    out.printf("batch 8 / batch 1   %8.1fx  target >= 4x: %s%n", batchGain, batchGain >= 4 ? "PASS" : "FAIL");
                }
            }
            if (sections.contains("rollout")) rollouts(manager, out, results, peak, readBandwidth(manager));
            if (sections.contains("ppo")) ppoStep(manager, out, results);
            if (sections.contains("grpo")) grpoStep(manager, out, results);
        }
        if (json) {
            out.println(Json.compact(results));
        }
        return 0;
    }

    /** Best of ten float32 GEMMs, 2n³ FLOPs each. */
    private double gemmPeak(NDManager manager) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray a = manager.randomNormal(new Shape(gemmSize, gemmSize));
            NDArray b = manager.randomNormal(new Shape(gemmSize, gemmSize));
            a.matMul(b).close(); // warm-up
            double best = 0;
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0); // force completion
                double s = (System.nanoTime() - t0) / 1e9;
                c.close();
                best = Math.max(best, 2.0 * gemmSize * gemmSize * gemmSize / s / 1e9);
            }
            return best;
        }
    }

    /** Best of five full reads (a sum) of a 256 MB float32 array, in GB/s. */
    private static double readBandwidth(NDManager manager) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray a = manager.ones(new Shape(64L << 20));
            Scalars.toFloat(a.sum());
            double best = 0;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                Scalars.toFloat(a.sum());
                best = Math.max(best, 4.0 * (64L << 20) / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            return best;
        }
    }

    /** Full optimizer steps (accumulated forward/backward passes, global-norm clipping, AdamW) on random tokens. */
    private double trainTokensPerSecond(NDManager manager, TransformerPolicy model) {
        if (microBatch <= 0 || batch % microBatch != 0) {
            throw new IllegalArgumentException("--batch must be a multiple of --micro-batch");
        }
        int accumulation = batch / microBatch;
        Random random = new Random(0);
        long[] ids = new long[microBatch * seqLen];
        long[] mask = new long[microBatch * seqLen];
        java.util.Arrays.fill(mask, 1);
        double seconds = medianStepSeconds(manager, model, accumulation, 1e-4, () -> {
            for (int i = 0; i < ids.length; i++) ids[i] = random.nextInt(vocab);
            NDArray x = manager.create(ids, new Shape(microBatch, seqLen));
            NDArray m = manager.create(mask, new Shape(microBatch, seqLen));
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                NDArray loss = CausalLmLoss.mean(model, x, m, null);
                gc.backward(loss.div(Scalars.constant(loss, accumulation)));
            }
        });
        return (double) batch * seqLen / seconds;
    }

    /**
     * DPO optimizer steps on random pairs (prompt: the first half of each sequence, response: the
     * second): the policy's concatenated chosen+rejected pass with backward, plus, unless the
     * reference log-probs are precomputed, the frozen reference's forward pass.
     */
    private double dpoPairsPerSecond(NDManager manager, TransformerPolicy model, boolean precomputed) {
        int pairsPerMicro = Math.max(1, microBatch / 2), pairs = Math.max(pairsPerMicro, batch / 2);
        int accumulation = pairs / pairsPerMicro, rows = 2 * pairsPerMicro;
        Random random = new Random(1);
        Shape shape = new Shape(rows, seqLen);
        long[] ids = new long[rows * seqLen], mask = new long[rows * seqLen], response = new long[rows * seqLen];
        java.util.Arrays.fill(mask, 1);
        for (int r = 0; r < rows; r++) {
            for (int t = seqLen / 2; t < seqLen; t++) response[r * seqLen + t] = 1;
        }
        try (PolicyModel reference = model.frozenCopy()) {
            double seconds = medianStepSeconds(manager, model, accumulation, 1e-6, () -> {
                for (int i = 0; i < ids.length; i++) ids[i] = random.nextInt(vocab);
                NDArray x = manager.create(ids, shape), m = manager.create(mask, shape), y = manager.create(response, shape);
                NDArray ref = precomputed ? manager.zeros(new Shape(rows))
                        : LogProbs.DEFAULT.sequences(reference, x, m, y).sum();
                try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                    NDArray ratio = LogProbs.DEFAULT.sequences(model, x, m, y).sum().sub(ref);
                    NDArray h = ratio.get("0:" + pairsPerMicro).sub(ratio.get(pairsPerMicro + ":"));
                    NDArray loss = DpoLoss.sigmoid(h, 0.1, 0).mean();
                    gc.backward(loss.div(Scalars.constant(loss, accumulation)));
                }
            });
            return pairs / seconds;
        }
    }

    /**
     * The median time of an optimizer step after two warm-up steps (this machine's timings are
     * noisy): {@code accumulation} passes of {@code microBatch}, then global-norm clipping and AdamW.
     */
    private double medianStepSeconds(NDManager manager, TransformerPolicy model, int accumulation, double lr,
            Runnable microBatchPass) {
        model.setTrainable(true);
        try (AdamW adam = new AdamW(manager, AdamW.Config.DEFAULT)) {
            double[] seconds = new double[trainSteps];
            for (int step = 0; step < trainSteps + 2; step++) {
                long t0 = System.nanoTime();
                for (int micro = 0; micro < accumulation; micro++) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        microBatchPass.run();
                    }
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Gradients.clipGlobalNorm(model.parameters().values(), 1.0);
                    adam.step(model.parameters(), lr);
                    Gradients.zero(model.parameters().values());
                }
                if (step >= 2) seconds[step - 2] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(seconds);
            return seconds[trainSteps / 2];
        } finally {
            model.setTrainable(false);
        }
    }

    private double generationTokensPerSecond(TransformerPolicy model, int rows, boolean cache) {
        RolloutEngine engine = new RolloutEngine(model);
        RolloutConfig cfg = RolloutConfig.greedy(newTokens).withEosTokenIds(NO_EOS).withThreads(threads).withCache(cache);
        engine.generate(randomPrompts(rows, 16, rows), cfg); // warm-up (JIT, allocator)
        long t0 = System.nanoTime();
        int produced = engine.generate(randomPrompts(rows, 16, rows), cfg).stream()
                .mapToInt(o -> o.completionIds().length).sum();
        return produced / ((System.nanoTime() - t0) / 1e9);
    }

    // ---- online steps: PPO and GRPO end to end through their trainers ----

    /** Prompts per online step, prompt tokens, and completion tokens (no EOS: every completion is full length). */
    static final int ONLINE_ROWS = 64, ONLINE_PROMPT = 64, ONLINE_STEPS = 4;
    /** A prompt's ids: its ONLINE_PROMPT bytes and the BOS a plain prompt gets. */
    static final int PROMPT_IDS = ONLINE_PROMPT + 1;

    /** The bench model's config for the online steps: the same shape as the other sections, room for prompt and completion. */
    private ModelConfig onlineConfig() {
        return ModelConfig.llama("llama", vocab, hidden, layers, heads, heads, (int) Math.ceil(8.0 / 3 * hidden / 16) * 16,
                Math.max(1024, ONLINE_PROMPT + rolloutNewTokens + 8), false);
    }

    /** A prompts file of random printable text, ONLINE_PROMPT bytes each, with a verifiable answer column. */
    private static java.nio.file.Path onlinePrompts(java.nio.file.Path dir, int rows) throws java.io.IOException {
        Random random = new Random(5);
        StringBuilder text = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < ONLINE_PROMPT; i++) p.append((char) ('a' + random.nextInt(26)));
            text.append(Json.compact(java.util.Map.of("prompt", p.toString(), "answer", "7", "verifier", "number"))).append('\n');
        }
        java.nio.file.Path file = dir.resolve("prompts.jsonl");
        java.nio.file.Files.writeString(file, text);
        return file;
    }

    /** An online run's time split per step (medians) and tokens (prompt and completion, TRL's num_tokens) per step. */
    record OnlineTimes(java.util.Map<String, Double> times, double tokensPerStep) {}

    /** The medians over the measured steps (the first one warms up) of the time split an online run logged. */
    private static OnlineTimes medianTimes(java.nio.file.Path metrics) throws java.io.IOException {
        java.util.Map<String, List<Double>> values = new java.util.LinkedHashMap<>();
        long firstTokens = 0, lastTokens = 0, lastStep = 1;
        for (String line : java.nio.file.Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            var row = Json.MAPPER.readTree(line);
            if (row.path("step").asInt() < 2) {
                firstTokens = row.path("num_tokens").asLong();
                continue;
            }
            lastTokens = row.path("num_tokens").asLong();
            lastStep = row.path("step").asLong();
            row.fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("time/")) values.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble());
            });
        }
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        values.forEach((k, v) -> {
            List<Double> sorted = v.stream().sorted().toList();
            out.put(k, sorted.get(sorted.size() / 2));
        });
        return new OnlineTimes(out, (lastTokens - firstTokens) / (double) Math.max(1, lastStep - 1));
    }

    /** Prints and records an online step's time split; generation's share is the headline (TRL's trainers: about 80%). */
    private void reportOnline(PrintWriter out, ObjectNode results, String method, String setup, OnlineTimes measured,
            int promptTokensPerStep) {
        java.util.Map<String, Double> times = measured.times();
        double completionTokens = measured.tokensPerStep() - promptTokensPerStep;
        double total = times.values().stream().mapToDouble(Double::doubleValue).sum();
        double generation = times.getOrDefault("time/generation", 0.0);
        String key = method.toLowerCase(java.util.Locale.ROOT) + "_step_";
        results.put(key + "seconds", total);
        times.forEach((k, v) -> results.put(key + k.substring("time/".length()) + "_seconds", v));
        results.put(key + "generation_share", generation / total);
        results.put(key + "rollout_tokens_per_second", completionTokens / generation);
        StringBuilder split = new StringBuilder();
        times.forEach((k, v) -> split.append(String.format(java.util.Locale.ROOT, "%s %.2f s (%.0f%%), ", k.substring(5), v, 100 * v / total)));
        out.printf("%-4s step            %8.2f s  %s%n", method, total, setup);
        out.printf("                    %s rollout %.0f tokens/s%n", split, completionTokens / generation);
        out.printf("                    generation is %.0f%% of the step  target < 50%%: %s%n", 100 * generation / total,
                generation / total < 0.5 ? "PASS" : "FAIL");
    }

    private interface DirectoryTask {
        void run(java.nio.file.Path dir) throws java.io.IOException;
    }

    /** Runs a task in a new temporary directory, deleted afterwards. */
    private static void inTemporaryDirectory(String prefix, DirectoryTask task) {
        java.nio.file.Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory(prefix);
            task.run(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            if (dir != null) {
                try {
                    dev.align.core.io.AtomicFiles.deleteRecursively(dir);
                } catch (java.io.IOException ignored) {
                    // a temporary directory
                }
            }
        }
    }

    /**
     * A PPO step as {@code align ppo} takes it: ONLINE_ROWS prompts, one completion of {@code rolloutNewTokens} each,
     * a reward model and a critic of the bench model's shape (the critic a copy of the reward model), TRL's 4 PPO
     * epochs in 4 mini-batches.
     */
    private void ppoStep(NDManager manager, PrintWriter out, ObjectNode results) {
        inTemporaryDirectory("align-bench-ppo", dir -> {
            ModelConfig config = onlineConfig();
            dev.align.ppo.PpoConfig ppo = dev.align.core.config.ConfigBinder.of(dev.align.ppo.PpoConfig.class).bind(
                    dev.align.ppo.PpoConfig.DEFAULTS, java.util.Map.ofEntries(java.util.Map.entry("max_steps", ONLINE_STEPS),
                            java.util.Map.entry("per_device_train_batch_size", ONLINE_ROWS / 4),
                            java.util.Map.entry("num_mini_batches", 4), java.util.Map.entry("response_length", rolloutNewTokens),
                            java.util.Map.entry("normalize_reward", false), java.util.Map.entry("logging_steps", 1),
                            java.util.Map.entry("save_steps", 0), java.util.Map.entry("sample_steps", 0),
                            java.util.Map.entry("max_length", ONLINE_PROMPT + rolloutNewTokens + 8)), "bench");
            try (TransformerPolicy policy = TransformerPolicy.initialize(manager, config, Tokenizer.byteLevel(), 11);
                    TransformerPolicy rm = TransformerPolicy.initialize(manager, config, Tokenizer.byteLevel(), 12);
                    dev.align.datasets.PromptDataset prompts = dev.align.datasets.PromptDataset.open(onlinePrompts(dir, ONLINE_ROWS),
                            dev.align.datasets.Format.PROMPT, false)) {
                rm.addScoreHead(13);
                int before = OfflineDjl.threads();
                OfflineDjl.setThreads(threads);
                try {
                    new dev.align.ppo.PpoTrainer(policy, rm, ppo).train(prompts, null, dir.resolve("run"), java.util.Map.of(), false,
                            dev.align.core.train.Progress.Factory.NONE);
                } finally {
                    OfflineDjl.setThreads(before);
                }
            }
            reportOnline(out, results, "PPO", String.format(java.util.Locale.ROOT, "%d prompts x %d new tokens, 4 epochs x 4 "
                    + "mini-batches, policy + critic + reference + reward model", ONLINE_ROWS, rolloutNewTokens),
                    medianTimes(dir.resolve("run").resolve(dev.align.core.train.Trainer.METRICS)), PROMPT_IDS * ONLINE_ROWS);
        });
    }

    /**
     * A GRPO step as {@code align rlvr} takes it: ONLINE_ROWS completions of {@code rolloutNewTokens} (8 prompts x
     * TRL's 8 generations), the number verifier, beta 0 (no reference model), one update (TRL's num_iterations 1)
     * in 4 micro-batches.
     */
    private void grpoStep(NDManager manager, PrintWriter out, ObjectNode results) {
        inTemporaryDirectory("align-bench-grpo", dir -> {
            dev.align.rlvr.RlvrConfig grpo = dev.align.core.config.ConfigBinder.of(dev.align.rlvr.RlvrConfig.class).bind(
                    dev.align.rlvr.RlvrConfig.DEFAULTS, java.util.Map.ofEntries(java.util.Map.entry("max_steps", ONLINE_STEPS),
                            java.util.Map.entry("per_device_train_batch_size", ONLINE_ROWS / 4),
                            java.util.Map.entry("gradient_accumulation_steps", 4),
                            java.util.Map.entry("max_completion_length", rolloutNewTokens), java.util.Map.entry("logging_steps", 1),
                            java.util.Map.entry("save_steps", 0), java.util.Map.entry("sample_steps", 0),
                            java.util.Map.entry("max_length", ONLINE_PROMPT + rolloutNewTokens + 8)), "bench");
            try (TransformerPolicy policy = TransformerPolicy.initialize(manager, onlineConfig(), Tokenizer.byteLevel(), 21);
                    dev.align.datasets.PromptDataset prompts = dev.align.datasets.PromptDataset.open(onlinePrompts(dir, ONLINE_ROWS),
                            dev.align.datasets.Format.VERIFIABLE, false)) {
                int before = OfflineDjl.threads();
                OfflineDjl.setThreads(threads);
                try {
                    new dev.align.rlvr.RlvrTrainer(policy, grpo).train(prompts, null, dir.resolve("run"), java.util.Map.of(), false,
                            dev.align.core.train.Progress.Factory.NONE);
                } finally {
                    OfflineDjl.setThreads(before);
                }
            }
            reportOnline(out, results, "GRPO", String.format(java.util.Locale.ROOT, "%d prompts x 8 generations x %d new "
                    + "tokens, 1 update in 4 micro-batches, no reference model (beta 0)", ONLINE_ROWS / 8, rolloutNewTokens),
                    medianTimes(dir.resolve("run").resolve(dev.align.core.train.Trainer.METRICS)), PROMPT_IDS * ONLINE_ROWS);
        });
    }

    /** An end-of-sequence id no token has: every row of a random model produces all its tokens. */
    private static final List<Integer> NO_EOS = List.of(-1);

    private static List<Prompt> randomPrompts(int rows, int length, long seed) {
        List<int[]> prompts = new ArrayList<>();
        Random random = new Random(seed);
        for (int r = 0; r < rows; r++) {
            int[] p = new int[length];
            for (int i = 0; i < p.length; i++) p[i] = random.nextInt(256);
            prompts.add(p);
        }
        return Prompt.numbered(prompts);
    }

    /**
     * The rollout engine sampling at temperature 1 with top-p 0.95 from 6-layer models (d, heads as the
     * other sections) with each vocabulary: tokens/s at batch {@code rolloutBatch} against the compute bound
     * 2·N·tokens / GEMM peak (N: parameters in matmuls, the LM head included); batch-1 time per decoding
     * step against the time to read those weights once; the sampling share of a decoding step at batch 8.
     */
    private void rollouts(NDManager manager, PrintWriter out, ObjectNode results, double peak, double bandwidth) {
        RolloutConfig cfg = RolloutConfig.sampling(rolloutNewTokens, 1f, 0, 0.95f, 0f).withEosTokenIds(NO_EOS)
                .withMaxBatchSize(Math.max(8, rolloutBatch)).withThreads(threads);
        for (int v : rolloutVocabs) {
            ModelConfig config = ModelConfig.llama("llama", v, hidden, layers, heads, heads,
                    (int) Math.ceil(8.0 / 3 * hidden / 16) * 16, Math.max(1024, 16 + rolloutNewTokens), false);
            try (TransformerPolicy model = TransformerPolicy.initialize(manager, config, Tokenizer.byteLevel(), 3)) {
                long n = model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum() - (long) v * hidden;
                RolloutEngine engine = new RolloutEngine(model);
                engine.generate(randomPrompts(rolloutBatch, 16, 0), cfg); // warm-up (JIT, allocator at full size)
                RolloutStats before = engine.stats();
                long t0 = System.nanoTime();
                engine.generate(randomPrompts(rolloutBatch, 16, 1), cfg);
                double seconds = (System.nanoTime() - t0) / 1e9;
                RolloutStats big = engine.stats().since(before);
                double tps = big.tokens() / seconds;
                double bound = peak * 1e9 / (2.0 * n);
                before = engine.stats();
                engine.generate(randomPrompts(1, 16, 2), cfg.withMaxBatchSize(1));
                RolloutStats one = engine.stats().since(before);
                double msPerToken = one.decodeSeconds() / (one.steps() - 1) * 1e3;
                double floorMs = 4.0 * n / (bandwidth * 1e9) * 1e3;
                before = engine.stats();
                engine.generate(randomPrompts(8, 16, 3), cfg.withMaxBatchSize(8));
                RolloutStats eight = engine.stats().since(before);
                double share = eight.samplingSeconds() / eight.decodeSeconds();
                String key = "rollout_v" + v + "_";
                results.put(key + "b" + rolloutBatch + "_tokens_per_second", tps);
                results.put(key + "b" + rolloutBatch + "_fraction_of_compute_bound", tps / bound);
                results.put(key + "b1_ms_per_token", msPerToken);
                results.put(key + "b1_over_memory_floor", msPerToken / floorMs);
                results.put(key + "b8_sampling_share", share);
                out.printf("rollout vocab %-6d %8.0f tokens/s at batch %d x %d new tokens (T=1, top-p 0.95) = %.0f%% of the compute"
                        + " bound %.0f tokens/s (2·N·tokens, N=%,d)  target >= 40%%: %s%n", v, tps, rolloutBatch,
                        rolloutNewTokens, 100 * tps / bound, bound, n, tps / bound >= 0.4 ? "PASS" : "FAIL");
                out.printf("                    %8.2f ms/token at batch 1 = %.1fx the memory-read floor %.2f ms  target <= 4x: %s%n",
                        msPerToken, msPerToken / floorMs, floorMs, msPerToken / floorMs <= 4 ? "PASS" : "FAIL");
                out.printf("                    %8.0f%% of a decoding step is sampling at batch 8%s%n", 100 * share,
                        v >= 32768 ? "  target <= 10%: " + (share <= 0.1 ? "PASS" : "FAIL") : "");
            }
        }
    }
}
