package dev.align.rlvr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDScope;
import dev.align.core.EngineTest;
import dev.align.core.OfflineDjl;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.logprob.CompletionBatch;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.reward.RewardFunction;
import dev.align.core.reward.Sample;
import dev.align.core.train.CausalLmLoss;
import dev.align.core.train.Objective;
import dev.align.core.train.OnlineObjective;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Example;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.Format;
import dev.align.datasets.PromptDataset;
import dev.align.datasets.TokenBatch;
import dev.align.datasets.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO and RLOO on a task the suite builds itself: a prompt is two distinct letters and '=' ("cf="), the verifiable
 * answer is the FIRST letter (exact verifier). A tiny model is first fine-tuned on data where a third of the answers
 * are right and two thirds repeat the second letter, so it samples the right answer about a third of the time and its
 * greedy answer is wrong; RL must then raise greedy accuracy on letter pairs it never trained on.
 */
class RlvrTest extends EngineTest {
    @TempDir static Path dir;
    static final String LETTERS = "abcdefgh";
    static Path trainFile, evalFile;
    static TransformerPolicy sft;
    static int threads;

    @BeforeAll
    static void buildTaskAndSft() throws Exception {
        threads = OfflineDjl.threads();
        OfflineDjl.setThreads(1); // tiny models: one thread is as fast, and unaffected by a busy machine
        List<String> pairs = new ArrayList<>();
        for (char x : LETTERS.toCharArray()) {
            for (char y : LETTERS.toCharArray()) for (char z : LETTERS.toCharArray()) if (x != z) pairs.add("" + x + y + z);
        }
        java.util.Collections.shuffle(pairs, new java.util.Random(3));
        List<String> train = pairs.subList(0, 384), held = pairs.subList(384, pairs.size());
        trainFile = dir.resolve("verifiable.jsonl");
        evalFile = dir.resolve("verifiable-eval.jsonl");
        Files.writeString(trainFile, rows(train, "plain"));
        Files.writeString(evalFile, rows(held, "plain"));
        sft = TinyModels.llama(manager, 11);
        ExampleEncoder encoder = new ExampleEncoder(sft.tokenizer(), 16, false);
        List<TokenizedExample> examples = new ArrayList<>();
        for (String p : train) {
            examples.add(encoder.promptCompletion(Example.Turns.of(p + "="), Example.Turns.of(p.substring(0, 1))));
            for (int i = 0; i < 2; i++) {
                examples.add(encoder.promptCompletion(Example.Turns.of(p + "="), Example.Turns.of(p.substring(2, 3))));
            }
        }
        TrainingConfig config = TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 1e-2, "max_steps", 300,
                "per_device_train_batch_size", 24, "lr_scheduler_type", "constant", "logging_steps", 1000, "save_steps", 0,
                "seed", 5, "full_determinism", true), "test");
        Objective objective = new Objective() {
            @Override
            public int size() {
                return examples.size();
            }

            @Override
            public Step loss(PolicyModel model, int[] rows) {
                List<TokenizedExample> batch = new ArrayList<>();
                for (int r : rows) batch.add(examples.get(r));
                TokenBatch b = TokenBatch.of(model.manager(), batch, model.tokenizer().padId());
                return new Step(CausalLmLoss.mean(model, b.ids(), b.attention(), b.loss()), Map.of(), b.tokens());
            }

            @Override
            public Map<String, Double> evaluate(PolicyModel model) {
                return Map.of();
            }
        };
        Trainer.Result r = new Trainer("sft", sft, objective, config, dir.resolve("sft"), Map.of(), Progress.Factory.NONE).train(false);
        System.out.println("SFT final loss " + r.finalLoss());
    }

    @AfterAll
    static void close() {
        sft.close();
        OfflineDjl.setThreads(threads);
    }

    private static String rows(List<String> pairs, String kind) {
        StringBuilder s = new StringBuilder();
        for (String p : pairs) {
            s.append(Json.compact(Map.of("prompt", p + "=", "answer", p.substring(0, 1), "verifier", "exact", "kind", kind)))
                    .append('\n');
        }
        return s.toString();
    }

    /** The task's settings: 4 prompts × 8 completions a step in 2 micro-batches, short completions. */
    static RlvrConfig config(Map<String, Object> overrides) {
        Map<String, Object> all = new LinkedHashMap<>(Map.of("learning_rate", 3e-3, "max_steps", 60,
                "per_device_train_batch_size", 16, "gradient_accumulation_steps", 2, "lr_scheduler_type", "constant",
                "logging_steps", 1, "save_steps", 0, "max_completion_length", 4, "seed", 1, "eval_steps", 0));
        all.put("sample_steps", 5);
        all.put("full_determinism", true); // one thread: reproducible numbers, and tiny models run no slower
        all.putAll(overrides);
        return dev.align.core.config.ConfigBinder.of(RlvrConfig.class).bind(RlvrConfig.DEFAULTS, all, "test");
    }

    private static Trainer.Result train(PolicyModel policy, RlvrConfig config, Path out, boolean resume,
            Progress.Factory progress) {
        try (PromptDataset prompts = PromptDataset.open(trainFile, Format.VERIFIABLE, false);
                PromptDataset eval = PromptDataset.open(evalFile, Format.VERIFIABLE, false)) {
            return new RlvrTrainer(policy, config).train(prompts, eval, out, Map.of(), resume, progress);
        }
    }

    /** Held-out greedy accuracy of a policy, as the trainer's evaluation computes it. */
    private static double heldOutAccuracy(PolicyModel policy, RlvrConfig config) {
        try (PromptDataset prompts = PromptDataset.open(trainFile, Format.VERIFIABLE, false);
                PromptDataset eval = PromptDataset.open(evalFile, Format.VERIFIABLE, false)) {
            RlvrObjective o = objective(policy, config, prompts, eval, RlvrRewards.of(config));
            return o.evaluate(new OnlineObjective.Modules(policy, null)).get("eval/accuracy");
        }
    }

    private static RlvrObjective objective(PolicyModel policy, RlvrConfig config, PromptDataset prompts, PromptDataset eval,
            RlvrRewards rewards) {
        ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), 64, false, 32);
        return new RlvrObjective(prompts, eval, encoder, config, rewards, null, null);
    }

    @Test
    void grpoRaisesHeldOutAccuracyOfATinySftModel() throws Exception {
        RlvrConfig config = config(Map.of("eval_steps", 10));
        double before = heldOutAccuracy(sft, config);
        try (PolicyModel policy = sft.frozenCopy()) {
            Trainer.Result result = train(policy, config, dir.resolve("grpo"), false, Progress.Factory.NONE);
            Map<String, Object> last = result.log().get(result.log().size() - 1);
            double after = ((Number) last.get("eval/accuracy")).doubleValue();
            System.out.printf("GRPO learning test: held-out greedy accuracy %.3f -> %.3f; reward %s -> %s%n", before, after,
                    result.log().get(0).get("reward"), last.get("reward"));
            assertTrue(before <= 0.4, "the SFT model is mostly wrong greedily: " + before);
            assertTrue(after >= before + 0.4, "held-out accuracy " + before + " -> " + after);
            for (String key : List.of("reward", "reward_std", "rewards/verifier/mean", "rewards/verifier/std",
                    "frac_reward_zero_std", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean",
                    "completions/mean_length", "completions/clipped_ratio", "time/generation", "time/scoring",
                    "time/reference", "time/update", "eval/accuracy/plain", "eval/reward")) {
                assertTrue(last.containsKey(key), key + " in " + last);
            }
            assertTrue(Files.exists(dir.resolve("grpo").resolve(RlvrTrainer.PLOT)));
            assertTrue(Files.readAllLines(dir.resolve("grpo").resolve("samples.jsonl")).size() >= 4);
        }
    }

    @Test
    void rlooAndDrGrpoLearnToo() throws Exception {
        double before = heldOutAccuracy(sft, config(Map.of()));
        for (Map<String, Object> variant : List.<Map<String, Object>>of(Map.of("algo", "rloo", "eval_steps", 10),
                Map.of("loss_type", "dr_grpo", "scale_rewards", "none", "eval_steps", 10))) {
            try (PolicyModel policy = sft.frozenCopy()) {
                Trainer.Result result = train(policy, config(variant), dir.resolve("v" + variant.hashCode()), false,
                        Progress.Factory.NONE);
                Map<String, Object> last = result.log().get(result.log().size() - 1);
                double after = ((Number) last.get("eval/accuracy")).doubleValue();
                System.out.printf("%s: held-out greedy accuracy %.3f -> %.3f%n", variant, before, after);
                assertTrue(after >= before + 0.3, variant + ": held-out accuracy " + before + " -> " + after);
            }
        }
    }

    @Test
    void aKilledRunResumesToTheSameBits() throws Exception {
        RlvrConfig config = config(Map.of("max_steps", 6, "save_steps", 2, "full_determinism", true, "num_iterations", 2,
                "beta", 0.04, "logging_steps", 1));
        Path straight = dir.resolve("straight"), killed = dir.resolve("killed");
        try (PolicyModel policy = sft.frozenCopy()) {
            train(policy, config, straight, false, Progress.Factory.NONE);
        }
        Progress.Factory killAt5 = (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tps) {
                if (step >= 5) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
        try (PolicyModel policy = sft.frozenCopy()) {
            assertThrows(IllegalStateException.class, () -> train(policy, config, killed, false, killAt5));
        }
        try (PolicyModel policy = sft.frozenCopy()) {
            train(policy, config, killed, true, Progress.Factory.NONE);
        }
        assertEquals(numbers(straight), numbers(killed));
        assertTrue(numbers(straight).get(0).contains("kl="), "β > 0 logs kl");
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")),
                Files.readAllBytes(killed.resolve("model.safetensors")));
        assertEquals(Files.readAllLines(straight.resolve("samples.jsonl")), Files.readAllLines(killed.resolve("samples.jsonl")));

        // A resume under a changed method setting would silently be another run: refused, naming the key.
        Files.delete(killed.resolve(Trainer.STATE)); // unfinished again: its last checkpoint is step 4
        RlvrConfig changed = config(Map.of("max_steps", 6, "save_steps", 2, "full_determinism", true, "num_iterations", 2,
                "beta", 0.08, "logging_steps", 1));
        try (PolicyModel policy = sft.frozenCopy()) {
            dev.align.core.BadInputException e = assertThrows(dev.align.core.BadInputException.class,
                    () -> train(policy, changed, killed, true, Progress.Factory.NONE));
            assertTrue(e.getMessage().contains("was saved with beta 0.04, the config says 0.08"), e.getMessage());
        }
    }

    private static List<String> numbers(Path out) throws Exception {
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve(Trainer.METRICS))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> row = Json.MAPPER.readValue(l, Map.class);
            row.remove("tokens_per_second");
            row.keySet().removeIf(k -> k.startsWith("time/"));
            lines.add(row.toString());
        }
        return lines;
    }

    /** 1 for every completion of a prompt whose answer is 'a' or 'b', else a coin from the completion's text. */
    public static final class Scripted implements RewardFunction {
        @Override
        public float[] rewards(List<Sample> samples) {
            float[] out = new float[samples.size()];
            for (int i = 0; i < out.length; i++) {
                Sample s = samples.get(i);
                boolean constant = "ab".contains(s.field("answer"));
                out[i] = constant ? 1f : (s.completion().hashCode() & 1);
            }
            return out;
        }
    }

    @Test
    void dynamicSamplingDropsGroupsWhoseRewardsAgree() {
        try (PolicyModel policy = TinyModels.llama(manager, 2);
                PromptDataset prompts = PromptDataset.open(trainFile, Format.VERIFIABLE, false);
                NDScope scope = new NDScope();
                OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            scope.suppressNotUsedWarning();
            RlvrRewards scripted = new RlvrRewards(List.of(new Scripted()), new double[] {1});
            double constantShare = 0;
            for (int r = 0; r < prompts.size(); r++) if ("ab".contains(prompts.row(r).fields().get("answer"))) constantShare++;
            constantShare /= prompts.size();
            for (boolean dynamic : new boolean[] {false, true}) {
                RlvrConfig config = config(Map.of("dynamic_sampling", dynamic, "max_num_gen_batches", 8, "temperature", 2.0));
                RlvrObjective o = objective(policy, config, prompts, null, scripted);
                int zeroStdGroups = 0, groups = 0;
                double frac = 0;
                for (int step = 0; step < 8; step++) {
                    RlvrObjective.Batch b = o.collect(new OnlineObjective.Modules(policy, null), step);
                    assertEquals(32, b.rows());
                    for (int g = 0; g < 4; g++) {
                        float[] r = java.util.Arrays.copyOfRange(b.rewards(), g * 8, g * 8 + 8);
                        if (RlvrRewards.std(r) == 0) zeroStdGroups++;
                        groups++;
                    }
                    frac += b.metrics().get("frac_reward_zero_std") / 8;
                    if (dynamic) assertTrue(b.metrics().get("num_gen_batches") >= 1);
                }
                if (dynamic) {
                    assertEquals(0, zeroStdGroups, "dynamic sampling keeps only groups with a signal");
                } else {
                    assertTrue(zeroStdGroups > 0, "without it, groups of 'a'/'b' prompts carry no signal");
                    assertEquals((double) zeroStdGroups / groups, frac, 1e-9, "frac_reward_zero_std counts them");
                }
                assertTrue(frac > constantShare / 2, "frac_reward_zero_std is reported either way: " + frac);
            }
        }
    }

    @Test
    void maskTruncatedCompletionsLeavesThemOutOfTheLoss() {
        try (PromptDataset prompts = PromptDataset.open(trainFile, Format.VERIFIABLE, false);
                NDScope scope = new NDScope();
                OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            scope.suppressNotUsedWarning();
            int truncatedRows = 0, finishedRows = 0;
            for (boolean mask : new boolean[] {false, true}) {
                // 2 tokens: "c" + EOS finishes; anything longer is cut
                RlvrConfig config = config(Map.of("mask_truncated_completions", mask, "max_completion_length", 2,
                        "temperature", 1.5));
                RlvrObjective o = objective(sft, config, prompts, null, RlvrRewards.of(config));
                RlvrObjective.Batch b = o.collect(new OnlineObjective.Modules(sft, null), 0);
                CompletionBatch c = b.completions();
                long width = c.completionLength();
                long[] ids = c.completionIds().toLongArray();
                float[] real = c.completionMask().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                float[] target = c.targetMask().toFloatArray(), loss = b.lossMask().toFloatArray();
                double active = 0;
                for (int r = 0; r < b.rows(); r++) {
                    int last = -1;
                    for (int t = 0; t < width; t++) if (real[(int) (r * width + t)] > 0) last = (int) ids[(int) (r * width + t)];
                    boolean truncated = !sft.tokenizer().isEos(last);
                    if (mask) {
                        if (truncated) truncatedRows++;
                        else finishedRows++;
                    }
                    for (int t = 0; t < width; t++) {
                        int at = (int) (r * width + t);
                        assertEquals(mask && truncated ? 0f : target[at], loss[at], "row " + r + " token " + t);
                        active += loss[at];
                    }
                }
                assertEquals(active, b.activeTokens(), 1e-6, "DAPO's normaliser counts the loss tokens");
            }
            assertTrue(truncatedRows > 0 && finishedRows > 0, truncatedRows + " truncated, " + finishedRows + " finished");
        }
    }

    @Test
    void rlooPenalisesTheRewardWithSummedK1AndClipsTheSequenceRatio() {
        // r' = r − β Σₜ k1: β = 0.05
        float[] penalised = RlvrObjective.rlooRewards(new float[] {1, 0, 1}, new float[] {2f, -1f, 0.5f}, 0.05);
        assertArrayEquals(new float[] {0.9f, 0.05f, 0.975f}, penalised, 1e-6f);

        // the sequence-level ratio against a hand calculation from the model's own token log-probs
        RlvrConfig config = config(Map.of("algo", "rloo", "epsilon", 0.2, "epsilon_high", 0.3, "beta", 0.0));
        try (NDScope scope = new NDScope(); PolicyModel policy = TinyModels.llama(manager, 4)) {
            scope.suppressNotUsedWarning();
            List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {6}, new int[] {7, 8});
            List<int[]> completions = List.of(new int[] {9, 10}, new int[] {11}, new int[] {12, 13, 14}, new int[] {15, 16});
            CompletionBatch batch = CompletionBatch.of(manager, prompts, completions, policy.tokenizer().padId());
            float[] seq = LogProbs.DEFAULT.completions(policy, batch).sum().toFloatArray(); // Σₜ log π_θ per row
            float[] shift = {0.5f, -0.5f, 0.1f, -0.05f}; // log ρ per row
            float[] adv = {1f, 1f, -1f, -2f};
            float[] old = new float[4];
            for (int i = 0; i < 4; i++) old[i] = seq[i] - shift[i];
            RlvrObjective.Batch e = new RlvrObjective.Batch(batch, batch.targetMask(), manager.create(adv), null,
                    manager.create(old), null, 0, new float[4], Map.of(), 0);
            RlvrObjective o = new RlvrObjective(null, null, null, config, RlvrRewards.of(config), null, null);
            OnlineObjective.Step s = o.loss(new OnlineObjective.Modules(policy, null), e, new int[] {0, 1, 2, 3});
            double expected = 0;
            for (int i = 0; i < 4; i++) {
                double rho = Math.exp(shift[i]);
                double clipped = Math.min(Math.max(rho, 0.8), 1.3);
                expected += -Math.min(rho * adv[i], clipped * adv[i]) / 4;
            }
            // ρ = e^0.5 = 1.65 with A > 0: clipped high; e^−0.5 = 0.61 with A > 0: not clipped; 0.1 and −0.05 with A < 0: inside
            assertEquals(expected, Scalars.toFloat(s.policyLoss()), 1e-5);
            assertEquals(0.25, s.metrics().get("clip_ratio/high_mean"), 1e-9);
            assertEquals(0.0, s.metrics().get("clip_ratio/low_mean"), 1e-9);
        }
    }

    /**
     * At μ = 1 the ratio is exactly 1, so each counted token's loss is −A of its completion; summed over the step's two
     * micro-batches (each divided by gradient_accumulation_steps, as the trainer does) the four loss types must give
     * TRL's numbers: DAPO's normaliser is the loss tokens of the whole step, the others are per micro-batch.
     */
    @Test
    void lossTypesAggregateOverTheStepAsTrl() {
        try (PromptDataset prompts = PromptDataset.open(trainFile, Format.VERIFIABLE, false);
                NDScope scope = new NDScope();
                OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            scope.suppressNotUsedWarning();
            for (String type : List.of("dapo", "grpo", "bnpo", "dr_grpo")) {
                // truncated completions leave the loss, so sequences weigh differently under each type
                RlvrConfig config = config(Map.of("loss_type", type, "temperature", 1.5, "max_completion_length", 2,
                        "mask_truncated_completions", true));
                RlvrObjective o = objective(sft, config, prompts, null, RlvrRewards.of(config));
                OnlineObjective.Modules modules = new OnlineObjective.Modules(sft, null);
                RlvrObjective.Batch b = o.collect(modules, 3);
                float[] a = b.advantages().toFloatArray(), mask = b.lossMask().toFloatArray();
                int width = mask.length / 32;
                double[] n = new double[32];
                for (int i = 0; i < mask.length; i++) n[i / width] += mask[i];
                double total = 0, expected = 0, all = 0;
                for (double x : n) all += x;
                for (int mb = 0; mb < 2; mb++) {
                    int[] rows = new int[16];
                    double sum = 0, tokens = 0, seqMean = 0;
                    for (int i = 0; i < 16; i++) {
                        rows[i] = mb * 16 + i;
                        sum += -a[rows[i]] * n[rows[i]];
                        tokens += n[rows[i]];
                        seqMean += n[rows[i]] > 0 ? -a[rows[i]] / 16 : 0;
                    }
                    total += Scalars.toFloat(o.loss(modules, b, rows).policyLoss()) / 2;
                    expected += switch (type) {
                        case "dapo" -> sum / all;
                        case "grpo" -> seqMean / 2;
                        case "bnpo" -> sum / tokens / 2;
                        default -> sum / (16.0 * 2) / 2;
                    };
                }
                assertTrue(Math.abs(expected) > 1e-4, type + ": a batch with a signal");
                assertEquals(expected, total, 1e-5, type);
            }
        }
    }

    @Test
    void promptsPerStepMustDivide() {
        var e = assertThrows(dev.align.core.BadInputException.class,
                () -> config(Map.of("per_device_train_batch_size", 6, "gradient_accumulation_steps", 1)));
        assertTrue(e.getMessage().contains("num_generations"), e.getMessage());
    }
}
