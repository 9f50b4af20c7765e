package dev.align.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
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
        List<String> rows = pairs(4, 2);
        rows.set(1, rows.get(1).replace("}]}", "}], \"label\": 0.7}")); // sigmoid with ε 0.1: cDPO with ε 0.3 on this pair
        Path data = write("pairs.jsonl", rows);
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

    /** −log σ(x), in doubles. */
    static double nlSigmoid(double x) {
        return Math.log1p(Math.exp(-x));
    }

    /** cDPO's loss of one pair by hand: −(1−ε) log σ(x) − ε log σ(−x), x = β h. */
    static double cdpo(double x, double epsilon) {
        return (1 - epsilon) * nlSigmoid(x) + epsilon * nlSigmoid(-x);
    }

    @Test
    void perPairLabelSmoothingMatchesAHandCalculation() {
        double beta = 0.5;
        NDArray h = manager.create(new float[] {2f, -1f}); // x = β h = (1, −0.5)
        NDArray epsilon = manager.create(new float[] {0.3f, 0.1f}); // a soft label 0.7; the global ε 0.1
        float[] loss = DpoLoss.sigmoid(h, beta, epsilon).toFloatArray();
        assertEquals(0.7 * Math.log1p(Math.exp(-1)) + 0.3 * Math.log1p(Math.exp(1)), loss[0], 1e-6);
        assertEquals(0.9 * Math.log1p(Math.exp(0.5)) + 0.1 * Math.log1p(Math.exp(-0.5)), loss[1], 1e-6);
        assertEquals(DpoLoss.sigmoid(h, beta, 0.1).toFloatArray()[1], loss[1], 1e-7f); // one ε for all: the same
        // the rule: 1 − label with soft labels on, the global ε for a pair without one or with them off
        Example.Preference soft = new Example.Preference(Example.Turns.of("p"), Example.Turns.of("a"), Example.Turns.of("b"),
                0, 0.7);
        Example.Preference hard = new Example.Preference(soft.prompt(), soft.chosen(), soft.rejected(), 0, Double.NaN);
        assertEquals(1 - 0.7, PreferenceBatch.smoothing(soft, 0.1, true));
        assertEquals(0.1, PreferenceBatch.smoothing(hard, 0.1, true));
        assertEquals(0.1, PreferenceBatch.smoothing(soft, 0.1, false));
        assertTrue(new DpoConfig(config(1), 0.1, DpoConfig.LossType.SIGMOID, 0.1, 0, false).softLabels());
        assertFalse(new DpoConfig(config(1), 0.1, DpoConfig.LossType.SIGMOID, 0, 0, false).softLabels());
        assertFalse(new DpoConfig(config(1), 0.1, DpoConfig.LossType.ROBUST, 0.1, 0, false).softLabels());
    }

    /**
     * ∂loss/∂h = β (σ(β h) − p) with p = 1 − ε, against central differences (float64): the implicit
     * preference σ(β h) is pulled to the label. A label of ½ gives a zero gradient at h = 0 (and pulls h back
     * to 0 elsewhere); a label below ½ pushes h below 0.
     */
    @Test
    void theSoftLabelIsTheTargetOfTheImplicitPreference() {
        double beta = 0.5, d = 1e-5;
        double[] h = {0, 1.5, -1.5, 0, 2, -0.7};
        double[] p = {0.5, 0.5, 0.5, 0.7, 0.2, 1.0};
        double[] epsilon = new double[p.length];
        for (int i = 0; i < p.length; i++) epsilon[i] = 1 - p[i];
        NDArray eps = manager.create(epsilon);
        for (int i = 0; i < h.length; i++) {
            double[] up = h.clone(), down = h.clone();
            up[i] += d;
            down[i] -= d;
            double numeric = (DpoLoss.sigmoid(manager.create(up), beta, eps).sum().getDouble()
                    - DpoLoss.sigmoid(manager.create(down), beta, eps).sum().getDouble()) / (2 * d);
            double sigma = 1 / (1 + Math.exp(-beta * h[i]));
            assertEquals(beta * (sigma - p[i]), numeric, 1e-8, "pair " + i);
        }
    }

    /**
     * On the objective, with label_smoothing 0.1: a pair labelled 1.0 gets the plain sigmoid loss, one
     * labelled 0.7 cDPO with ε 0.3, one without a label the global ε 0.1; with label_smoothing 0 labels are
     * unused. Each pair's h is read from its rewards/margins (β h) alone.
     */
    @Test
    void labelledPairsTrainCdpoWithOneMinusTheirLabel() throws Exception {
        List<String> rows = pairs(3, 8);
        rows.set(0, rows.get(0).replace("}]}", "}], \"label\": 1.0}"));
        rows.set(1, rows.get(1).replace("}]}", "}], \"label\": 0.7}"));
        Path data = write("soft.jsonl", rows);
        double beta = 0.5;
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy policy = TinyModels.llama(manager, 2);
                TransformerPolicy reference = TinyModels.llama(manager, 3)) { // a different reference: h ≠ 0
            ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), 64, false);
            int pad = policy.tokenizer().padId();
            DpoObjective smoothed = new DpoObjective(d, null, encoder, new DpoConfig(config(1), beta, DpoConfig.LossType.SIGMOID,
                    0.1, 0, false), ReferencePolicy.shared(reference), pad);
            DpoObjective plain = new DpoObjective(d, null, encoder, new DpoConfig(config(1), beta, DpoConfig.LossType.SIGMOID,
                    0, 0, false), ReferencePolicy.shared(reference), pad);
            double[] x = new double[3]; // β h per pair
            for (int i = 0; i < 3; i++) x[i] = plain.loss(policy, new int[] {i}).metrics().get("rewards/margins");
            for (double v : x) assertTrue(Math.abs(v) > 0.05, "h must not be ~0 for the test to tell losses apart: " + v);
            assertEquals(nlSigmoid(x[0]), Scalars.toFloat(smoothed.loss(policy, new int[] {0}).loss()), 1e-5, "label 1.0: plain DPO");
            assertEquals(cdpo(x[1], 0.3), Scalars.toFloat(smoothed.loss(policy, new int[] {1}).loss()), 1e-5, "label 0.7: ε 0.3");
            assertEquals(cdpo(x[2], 0.1), Scalars.toFloat(smoothed.loss(policy, new int[] {2}).loss()), 1e-5, "no label: ε 0.1");
            int[] all = {0, 1, 2};
            assertEquals((nlSigmoid(x[0]) + cdpo(x[1], 0.3) + cdpo(x[2], 0.1)) / 3,
                    Scalars.toFloat(smoothed.loss(policy, all).loss()), 1e-5, "one batch, ε per pair");
            assertEquals((nlSigmoid(x[0]) + nlSigmoid(x[1]) + nlSigmoid(x[2])) / 3,
                    Scalars.toFloat(plain.loss(policy, all).loss()), 1e-5, "label_smoothing 0: labels unused");
            assertEquals("2 of 3 pairs carry a soft 'label': cDPO with label_smoothing 1 - label on them (0.1 on the rest)",
                    smoothed.labelNote());
            assertEquals("2 of 3 pairs carry a soft 'label'; set label_smoothing > 0 (sigmoid loss) to train on them (cDPO)",
                    plain.labelNote());
        }
    }

    /**
     * Every pair labelled 0.75: cDPO fits the implicit preference σ(β h) to 0.75, so rewards/margins (β h)
     * settles at logit(0.75) = ln 3 and the loss at the label's entropy H(0.75), where plain DPO drives β h
     * without bound (and the global ε 0.1 alone would settle at ln 9).
     */
    @Test
    void cdpoOnSoftLabelsLearnsTheLabelledProbability() throws Exception {
        List<String> rows = new ArrayList<>();
        for (String row : pairs(96, 4)) rows.add(row.replace("}]}", "}], \"label\": 0.75}"));
        Path data = write("soft.jsonl", rows);
        double entropy = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 5)) {
            TrainingConfig c = config(60).with(Map.of("logging_steps", 12), "test"); // metrics average a logging window
            Trainer.Result r = new DpoTrainer(m, null, new DpoConfig(c, 0.5, DpoConfig.LossType.SIGMOID, 0.1, 0, true))
                    .train(d, null, tmp.resolve("out"), Map.of(), false, Progress.Factory.NONE);
            Map<String, Object> last = r.log().get(r.log().size() - 1);
            assertEquals(Math.log(3), (double) last.get("rewards/margins"), 0.02, last.toString());
            assertEquals(entropy, (double) last.get("loss"), 1e-3, last.toString());
            assertEquals(1.0, (double) last.get("rewards/accuracies"), last.toString());
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
