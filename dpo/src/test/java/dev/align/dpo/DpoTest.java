package dev.align.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoTest extends EngineTest {
    @TempDir Path tmp;

    /** Pairs where the chosen reply agrees with the prompt's word ("up" → "yes"), the rejected one does not. */
    static List<String> pairs(int n, long seed) {
        Random random = new Random(seed);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int x = random.nextInt(100);
            boolean up = random.nextBoolean();
            String good = (up ? "yes " : "no ") + x, bad = (up ? "no " : "yes ") + x;
            rows.add("{\"prompt\": [{\"role\": \"user\", \"content\": \"" + (up ? "up " : "down ") + x + "\"}], "
                    + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"" + good + "\"}], "
                    + "\"rejected\": [{\"role\": \"assistant\", \"content\": \"" + bad + "\"}]}");
        }
        return rows;
    }

    Path write(String name, List<String> rows) throws Exception {
        Path file = tmp.resolve(name);
        Files.write(file, rows);
        return file;
    }

    static TrainingConfig config(int steps) {
        return TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 2e-3, "max_steps", steps, "per_device_train_batch_size", 8,
                "warmup_steps", 3, "logging_steps", 1, "save_steps", 0, "max_length", 64, "seed", 1,
                "full_determinism", true), "test");
    }

    static DpoConfig dpo(TrainingConfig t, DpoConfig.LossType type, double smoothing, double rpo, boolean precompute) {
        return new DpoConfig(t, 0.1, type, smoothing, rpo, precompute);
    }

    @Test
    void theFirstStepHasLossLn2AndZeroRewards() throws Exception {
        Path data = write("pairs.jsonl", pairs(16, 1));
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 1)) {
            Trainer.Result r = new DpoTrainer(m, null, dpo(config(1), DpoConfig.LossType.SIGMOID, 0, 0, false))
                    .train(d, null, tmp.resolve("out"), Map.of(), false, Progress.Factory.NONE);
            Map<String, Object> first = r.log().get(0);
            assertEquals(Math.log(2), (double) first.get("loss"), 1e-6, first.toString());
            assertEquals(0.0, (double) first.get("rewards/chosen"), 1e-7);
            assertEquals(0.0, (double) first.get("rewards/rejected"), 1e-7);
            assertEquals(0.0, (double) first.get("rewards/margins"), 1e-7);
            assertTrue((double) first.get("logps/chosen") < 0 && (double) first.get("logps/rejected") < 0);
            for (String key : List.of("rewards/accuracies", "grad_norm", "learning_rate")) assertTrue(first.containsKey(key), key);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() throws Exception {
        Path data = write("pairs.jsonl", pairs(4, 2));
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy policy = TinyModels.llama(manager, 2);
                TransformerPolicy reference = TinyModels.llama(manager, 3)) { // a different reference: h ≠ 0
            ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), 64, false);
            int[] all = {0, 1, 2, 3};
            for (DpoConfig.LossType type : DpoConfig.LossType.values()) {
                for (double rpo : new double[] {0, 0.5}) {
                    DpoConfig c = dpo(config(1), type, type == DpoConfig.LossType.SIGMOID || type == DpoConfig.LossType.ROBUST
                            ? 0.1 : 0, rpo, false);
                    ReferencePolicy ref = ReferencePolicy.shared(reference);
                    DpoObjective o = new DpoObjective(d, null, encoder, c, ref, policy.tokenizer().padId());
                    GradientCheck.check(policy, model -> o.loss(model, all).loss(), 3, 1e-3, 1e-2, 5);
                }
            }
        }
    }

    @Test
    void precomputedReferenceLogProbsGiveTheSameLosses() throws Exception {
        Path data = write("pairs.jsonl", pairs(24, 3));
        List<List<Double>> runs = new ArrayList<>();
        for (boolean precompute : new boolean[] {false, true}) {
            try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 4)) {
                Trainer.Result r = new DpoTrainer(m, null, dpo(config(6), DpoConfig.LossType.SIGMOID, 0, 0, precompute))
                        .train(d, null, tmp.resolve("out" + precompute), Map.of(), false, Progress.Factory.NONE);
                List<Double> losses = new ArrayList<>();
                for (Map<String, Object> row : r.log()) losses.add((double) row.get("loss"));
                runs.add(losses);
            }
        }
        assertEquals(6, runs.get(0).size());
        for (int i = 0; i < 6; i++) assertEquals(runs.get(0).get(i), runs.get(1).get(i), 1e-5, "step " + (i + 1));
    }

    @Test
    void learnsPreferencesThatHoldOnHeldOutPairs() throws Exception {
        Path train = write("train.jsonl", pairs(96, 4)), eval = write("eval.jsonl", pairs(40, 5));
        try (Dataset t = Dataset.open(train, Format.PREFERENCE, false); Dataset e = Dataset.open(eval, Format.PREFERENCE, false);
                TransformerPolicy m = TinyModels.llama(manager, 5)) {
            TrainingConfig c = config(48).with(Map.of("logging_steps", 12, "eval_steps", 48), "test");
            Trainer.Result r = new DpoTrainer(m, null, dpo(c, DpoConfig.LossType.SIGMOID, 0, 0, true))
                    .train(t, e, tmp.resolve("out"), Map.of(), false, Progress.Factory.NONE);
            Map<String, Object> last = r.log().get(r.log().size() - 1);
            assertTrue((double) last.get("rewards/accuracies") > 0.9, last.toString());
            assertTrue((double) last.get("loss") < Math.log(2) / 2, last.toString());
            assertTrue((double) last.get("eval/rewards/accuracies") >= 0.8, last.toString());
            assertTrue((double) last.get("eval/rewards/margins") > 0, last.toString());
        }
    }

    /**
     * max_length 64 (byte tokens): a pair whose 80-byte prompt fills it is dropped and counted, as TRL
     * drops it; a pair with an over-long response is kept, cut and counted; training runs on the rest.
     * With max_prompt_length 40 the long prompt keeps its last 40 tokens and the pair is trained.
     */
    @Test
    void aPairWhosePromptFillsMaxLengthIsDroppedAndCounted() throws Exception {
        List<String> rows = new ArrayList<>(pairs(15, 6));
        rows.add(3, "{\"prompt\": \"" + "why ".repeat(20) + "\", \"chosen\": \" yes\", \"rejected\": \" no\"}");
        rows.add(7, "{\"prompt\": \"say\", \"chosen\": \" " + "yes ".repeat(20) + "\", \"rejected\": \" no\"}");
        Path data = write("pairs.jsonl", rows);
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 7)) {
            Trainer.Result r = new DpoTrainer(m, null, dpo(config(3), DpoConfig.LossType.SIGMOID, 0, 0, false))
                    .train(d, null, tmp.resolve("out"), Map.of(), false, Progress.Factory.NONE);
            assertEquals(3, r.steps());
            for (Map<String, Object> row : r.log()) {
                assertEquals(1.0, (double) row.get("num_dropped_too_long"), row.toString());
                assertEquals(1.0, (double) row.get("num_truncated"), row.toString());
                assertEquals(0.0, (double) row.get("num_prompt_truncated"), row.toString());
                assertTrue(Double.isFinite((double) row.get("loss")), row.toString());
            }
            String metrics = Files.readString(tmp.resolve("out").resolve(Trainer.METRICS));
            assertTrue(metrics.contains("\"num_dropped_too_long\":1.0"), metrics);

            ExampleEncoder encoder = new ExampleEncoder(m.tokenizer(), 64, false);
            ReferencePolicy ref = ReferencePolicy.shared(m);
            assertEquals(16, new DpoObjective(d, d, encoder, dpo(config(1), DpoConfig.LossType.SIGMOID, 0, 0, false), ref,
                    m.tokenizer().padId()).size(), "16 of 17 pairs are trained");
            DpoConfig cut = new DpoConfig(config(1), 0.1, DpoConfig.LossType.SIGMOID, 0, 0, false, 40);
            Trainer.Result r2 = new DpoTrainer(m, null, cut).train(d, null, tmp.resolve("out2"), Map.of(), false,
                    Progress.Factory.NONE);
            Map<String, Object> row = r2.log().get(0);
            assertEquals(0.0, (double) row.get("num_dropped_too_long"), row.toString());
            assertEquals(1.0, (double) row.get("num_prompt_truncated"), row.toString());
        }
    }
}
