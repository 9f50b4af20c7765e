package dev.align.rewardmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.RewardStatistics;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.Format;
import dev.align.datasets.ResponseScorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelTest extends EngineTest {
    @TempDir Path tmp;

    static final String[] GOOD = {"great", "fine", "awful"}; // quality: best → worst

    /** Ranked rows: K=3 responses whose first word decides the rank; some rows tie the lower two. */
    static List<String> rankedRows(int n, long seed) {
        Random random = new Random(seed);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String noun = Integer.toString(random.nextInt(1000));
            int[] order = {0, 1, 2};
            for (int j = 2; j > 0; j--) {
                int k = random.nextInt(j + 1), t = order[j];
                order[j] = order[k];
                order[k] = t;
            }
            List<String> responses = new ArrayList<>();
            List<Integer> scores = new ArrayList<>();
            for (int q : order) {
                responses.add("\"" + GOOD[q] + " " + noun + "\"");
                scores.add(i % 4 == 0 && q > 0 ? 0 : 2 - q); // every fourth row ties fine and awful
            }
            rows.add("{\"prompt\": \"rate " + noun + ":\", \"responses\": " + responses + ", \"scores\": " + scores + "}");
        }
        return rows;
    }

    Path write(String name, List<String> rows) throws Exception {
        Path file = tmp.resolve(name);
        Files.write(file, rows);
        return file;
    }

    static TrainingConfig config(int steps) {
        return TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 3e-3, "max_steps", steps, "per_device_train_batch_size", 4,
                "warmup_steps", 5, "logging_steps", 5, "save_steps", 0, "max_length", 64, "eval_steps", steps, "seed", 1,
                "full_determinism", true), "test");
    }

    @Test
    void lossesMatchTheirEquations() {
        NDArray r = manager.create(new float[] {2f, 0.5f, -1f});
        // Plackett–Luce of the ranking 0 > 1 > 2: −[r0 − log Σ e^r] − [r1 − log(e^r1 + e^r2)], weights 1/2
        NDArray remaining = manager.create(new float[] {1, 1, 1, 0, 1, 1}, new Shape(2, 3));
        NDArray chosen = manager.create(new float[] {1, 0, 0, 0, 1, 0}, new Shape(2, 3));
        double lse0 = Math.log(Math.exp(2) + Math.exp(0.5) + Math.exp(-1)), lse1 = Math.log(Math.exp(0.5) + Math.exp(-1));
        double expected = 0.5 * ((lse0 - 2) + (lse1 - 0.5));
        assertEquals(expected, RewardLosses.plackettLuce(r, remaining, chosen, manager.create(new float[] {0.5f, 0.5f}))
                .getFloat(), 1e-5);
        // Breslow ties: 0 first, then 1 and 2 tied: 2·log(e^r1 + e^r2) − (r1 + r2) for the tied stage
        NDArray tied = manager.create(new float[] {0, 1, 1}, new Shape(1, 3));
        assertEquals(2 * lse1 - (0.5 - 1), RewardLosses.plackettLuce(r, tied.add(0f), tied, manager.create(new float[] {1f}))
                .getFloat(), 1e-5);
        // For K = 2, Plackett–Luce is Bradley–Terry: −log σ(r_c − r_r)
        NDArray pair = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));
        NDArray first = manager.create(new float[] {1, 0, 0}, new Shape(1, 3));
        float bt = RewardLosses.bradleyTerry(manager.create(new float[] {2f}), manager.create(new float[] {0.5f}),
                manager.create(new float[] {0f}), manager.create(new float[] {1f}), manager.create(new float[] {1f})).getFloat();
        assertEquals(Math.log1p(Math.exp(-1.5)), bt, 1e-6);
        assertEquals(bt, RewardLosses.plackettLuce(r, pair, first, manager.create(new float[] {1f})).getFloat(), 1e-6);
        // A margin raises the bar: −log σ(1.5 − 1)
        assertEquals(Math.log1p(Math.exp(-0.5)), RewardLosses.bradleyTerry(manager.create(new float[] {2f}),
                manager.create(new float[] {0.5f}), manager.create(new float[] {1f}), manager.create(new float[] {1f}),
                manager.create(new float[] {1f})).getFloat(), 1e-6);
        assertEquals(0.1 * 2.5 * 2.5, RewardLosses.centering(manager.create(new float[] {2f}), manager.create(new float[] {0.5f}),
                manager.create(new float[] {1f}), 0.1).getFloat(), 1e-5);
    }

    /**
     * A soft label p: −p log σ(Δ) − (1−p) log σ(−Δ), Δ = r_c − r_r − margin (RL-CAI's preference model);
     * p = 1 is the hard loss, bit for bit.
     */
    @Test
    void softLabelsAreTheTargetOfBradleyTerry() {
        NDArray better = manager.create(new float[] {2f, 0f}), worse = manager.create(new float[] {0.5f, 1f});
        NDArray margin = manager.create(new float[] {0.5f, 0f}), weight = manager.create(new float[] {0.5f, 0.5f});
        // Δ = (1, −1); pair 0 labelled 0.7, pair 1 labelled 0.2
        double expected = 0.5 * (0.7 * Math.log1p(Math.exp(-1)) + 0.3 * Math.log1p(Math.exp(1)))
                + 0.5 * (0.2 * Math.log1p(Math.exp(1)) + 0.8 * Math.log1p(Math.exp(-1)));
        assertEquals(expected, RewardLosses.bradleyTerry(better, worse, margin, manager.create(new float[] {0.7f, 0.2f}), weight)
                .getFloat(), 1e-6);
        NDArray one = manager.create(new float[] {1f, 1f});
        assertEquals(0.5 * (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(1))),
                RewardLosses.bradleyTerry(better, worse, margin, one, weight).getFloat(), 1e-6);
        // ∂/∂Δ = w (σ(Δ) − p), against central differences in float64; p = ½ has no gradient at Δ = 0
        double[] gaps = {1, -1, 0, 0, 2.5};
        double[] p = {0.7, 0.2, 0.5, 1, 0.5};
        double d = 1e-5;
        for (int i = 0; i < gaps.length; i++) {
            double[] up = {gaps[i] + d}, down = {gaps[i] - d};
            NDArray zero = manager.create(new double[] {0}), target = manager.create(new double[] {p[i]});
            NDArray w = manager.create(new double[] {1});
            double numeric = (RewardLosses.bradleyTerry(manager.create(up), zero, zero, target, w).getDouble()
                    - RewardLosses.bradleyTerry(manager.create(down), zero, zero, target, w).getDouble()) / (2 * d);
            assertEquals(1 / (1 + Math.exp(-gaps[i])) - p[i], numeric, 1e-8, "gap " + gaps[i] + ", p " + p[i]);
        }
    }

    /**
     * On the objective: a pair labelled 0.7 trains −0.7 log σ(Δ) − 0.3 log σ(−Δ) (Δ from its logged
     * reward gap; listwise, its stage picks (0.7, 0.3), the same loss without the margin); labelled 1.0 it
     * trains exactly what the row without a label trains. Accuracy still counts r_c > r_r.
     */
    @Test
    void aPairWithASoftLabelTrainsTowardsItsProbability() throws Exception {
        String row = "{\"prompt\": \"rate 7:\", \"chosen\": \"great 7\", \"rejected\": \"awful 7\", \"margin\": 0.25";
        Path data = write("soft.jsonl", List.of(row + ", \"label\": 0.7}", row + ", \"label\": 1.0}", row + "}"));
        try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 2)) {
            m.addScoreHead(3);
            for (RewardConfig.RankingLoss loss : RewardConfig.RankingLoss.values()) {
                RewardObjective o = new RewardObjective(d, null, new ResponseScorer(m, 64, 4), new RewardConfig(config(1), loss, 0));
                var soft = o.loss(m, new int[] {0});
                double gap = soft.metrics().get("margin"); // r_c − r_r
                double delta = loss == RewardConfig.RankingLoss.PAIRWISE ? gap - 0.25 : gap; // listwise has no margin
                // the hard loss differs from the soft one by 0.3·Δ (softplus(x) − softplus(−x) = x)
                assertTrue(Math.abs(delta) > 1e-3, "Δ must not be ~0 for the test to tell losses apart: " + delta);
                assertEquals(0.7 * Math.log1p(Math.exp(-delta)) + 0.3 * Math.log1p(Math.exp(delta)),
                        Scalars.toFloat(soft.loss()), 1e-5, loss.toString());
                assertEquals(gap > 0 ? 1.0 : 0.0, soft.metrics().get("accuracy"));
                assertEquals(Scalars.toFloat(o.loss(m, new int[] {2}).loss()), Scalars.toFloat(o.loss(m, new int[] {1}).loss()), 0f,
                        loss + ": label 1.0 is the hard loss");
                assertEquals(Math.log1p(Math.exp(-delta)), Scalars.toFloat(o.loss(m, new int[] {1}).loss()), 1e-5, loss.toString());
            }
        }
    }

    /**
     * Every pair labelled 0.75: the reward gap r_c − r_r settles at logit(0.75) = ln 3 and the loss at the
     * label's entropy H(0.75), pairwise and listwise, where hard labels would drive the gap without bound.
     */
    @Test
    void softLabelsAreLearnedAsProbabilities() throws Exception {
        List<String> rows = new ArrayList<>();
        Random random = new Random(1);
        for (int i = 0; i < 64; i++) {
            int n = random.nextInt(1000);
            rows.add("{\"prompt\": \"rate " + n + ":\", \"chosen\": \"great " + n + "\", \"rejected\": \"awful " + n
                    + "\", \"label\": 0.75}");
        }
        Path data = write("soft.jsonl", rows);
        double entropy = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        for (RewardConfig.RankingLoss loss : RewardConfig.RankingLoss.values()) {
            try (Dataset d = Dataset.open(data, Format.PREFERENCE, false); TransformerPolicy m = TinyModels.llama(manager, 4)) {
                TrainingConfig c = config(80).with(Map.of("logging_steps", 10, "eval_steps", 0), "test"); // metrics average a window
                Trainer.Result r = new RewardTrainer(m, new RewardConfig(c, loss, 0))
                        .train(d, null, tmp.resolve("rm-" + loss), Map.of(), false, Progress.Factory.NONE);
                Map<String, Object> last = r.log().get(r.log().size() - 1);
                assertEquals(Math.log(3), (double) last.get("margin"), 0.02, loss + ": " + last);
                assertEquals(entropy, (double) last.get("loss"), 1e-3, loss + ": " + last);
                assertEquals(1.0, (double) last.get("accuracy"), loss + ": " + last);
            }
        }
    }

    @Test
    void inARankingEveryPairIsWeightedOneOverPairs() throws Exception {
        Path data = write("ranked.jsonl", List.of("{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [2, 0, 1]}"));
        try (Dataset d = Dataset.open(data, Format.RANKED, false); TransformerPolicy m = TinyModels.llama(manager, 1)) {
            m.addScoreHead(1);
            RewardObjective o = new RewardObjective(d, null, new ResponseScorer(m, 64, 4),
                    new RewardConfig(config(1), RewardConfig.RankingLoss.PAIRWISE, 0));
            RewardObjective.Group g = o.group(d.get(0));
            assertArrayEquals(new double[] {2, 1, 3}, g.labels()); // ranking [2, 0, 1]: c best, b worst
            RewardObjective.Selections s = RewardObjective.Selections.of(manager, List.of(g, g), 6);
            assertEquals(6, s.better().getShape().get(0)); // 3 pairs per prompt
            for (float w : s.pairWeight().toFloatArray()) assertEquals(1 / 6f, w, 1e-7);
            assertEquals(4, s.remaining().getShape().get(0)); // K−1 = 2 stages per prompt
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() throws Exception {
        List<String> rows = new ArrayList<>(rankedRows(3, 5));
        rows.add("{\"prompt\": \"rate 7:\", \"responses\": [\"great 7\", \"awful 7\"], \"ranking\": [0, 1]}");
        Path data = write("grad.jsonl", rows);
        Path pairs = write("pairs.jsonl", List.of("{\"prompt\": \"rate 7:\", \"chosen\": \"great 7\", \"rejected\": \"awful 7\", \"margin\": 0.5}",
                "{\"prompt\": \"rate 8:\", \"chosen\": \"fine 8\", \"rejected\": \"awful 8\"}",
                "{\"prompt\": \"rate 9:\", \"chosen\": \"fine 9\", \"rejected\": \"great 9\", \"label\": 0.3}"));
        try (Dataset ranked = Dataset.open(data, Format.RANKED, false); Dataset pref = Dataset.open(pairs, Format.PREFERENCE, false);
                TransformerPolicy m = TinyModels.llama(manager, 2)) {
            m.addScoreHead(3);
            for (RewardConfig.RankingLoss loss : RewardConfig.RankingLoss.values()) {
                for (double center : new double[] {0, 0.1}) {
                    RewardConfig c = new RewardConfig(config(1), loss, center);
                    for (Dataset d : List.of(ranked, pref)) {
                        RewardObjective o = new RewardObjective(d, null, new ResponseScorer(m, 64, 8), c);
                        int[] all = java.util.stream.IntStream.range(0, d.size()).toArray();
                        GradientCheck.check(m, model -> o.loss(model, all).loss(), 3, 1e-3, 1e-2, 11);
                    }
                }
            }
        }
    }

    @Test
    void learnsHeldOutRankingsAndSavesAScoringModel() throws Exception {
        Path train = write("train.jsonl", rankedRows(80, 1)), eval = write("eval.jsonl", rankedRows(20, 2));
        Path out = tmp.resolve("rm");
        float[] scores;
        List<Example.Turns> prompts = List.of(Example.Turns.of("rate 5:"), Example.Turns.of("rate 5:"));
        List<Example.Turns> responses = List.of(Example.Turns.of("great 5"), Example.Turns.of("awful 5"));
        for (RewardConfig.RankingLoss loss : RewardConfig.RankingLoss.values()) {
            try (Dataset t = Dataset.open(train, Format.RANKED, false); Dataset e = Dataset.open(eval, Format.RANKED, false);
                    TransformerPolicy m = TinyModels.llama(manager, 4)) {
                RewardTrainer trainer = new RewardTrainer(m, new RewardConfig(config(60), loss, 0.01));
                Trainer.Result r = trainer.train(t, e, out, Map.of(), false, Progress.Factory.NONE);
                Map<String, Object> last = r.log().get(r.log().size() - 1);
                assertTrue((double) last.get("eval/accuracy") > 0.9, loss + ": " + last);
                Map<String, Object> first = r.log().get(0);
                assertTrue((double) last.get("loss") < (double) first.get("loss") / 2, loss + ": " + first + " -> " + last);
                scores = new ResponseScorer(m, 64, 2).score(prompts, responses);
                assertTrue(scores[0] > scores[1], loss + ": great > awful");
                RewardStatistics stats = trainer.statistics();
                assertTrue(stats.std() > 0 && stats.count() == 240, stats.toString());
            }
            ObjectNode config = Json.readObject(out.resolve("config.json"));
            assertEquals(1, config.get("num_labels").asInt());
            assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
            try (TransformerPolicy loaded = ModelDirectory.load(out, manager)) {
                assertArrayEquals(scores, new ResponseScorer(loaded, 64, 2).score(prompts, responses), 0f,
                        "a saved reward model scores bit-identically after loading");
                RewardStatistics stats = RewardStatistics.of(loaded.config());
                assertEquals(config.get("mean").asDouble(), stats.mean());
            }
        }
    }

    /** As TRL's RewardTrainer: a row with a response longer than max_length (64) is dropped, not cut, and counted. */
    @Test
    void rowsLongerThanMaxLengthAreDroppedAndCounted() throws Exception {
        List<String> rows = new ArrayList<>(rankedRows(12, 3));
        rows.add(5, "{\"prompt\": \"rate 9:\", \"responses\": [\"great 9\", \"" + "awful ".repeat(12)
                + "\"], \"ranking\": [0, 1]}"); // 6 + 72 bytes > 64
        rows.add(9, "{\"prompt\": \"rate 9:\", \"responses\": [\"great 9\", \"fine 9\"], \"scores\": [1, 0]}");
        Path data = write("ranked.jsonl", rows);
        try (Dataset d = Dataset.open(data, Format.RANKED, false); TransformerPolicy m = TinyModels.llama(manager, 6)) {
            RewardTrainer trainer = new RewardTrainer(m, new RewardConfig(config(5), RewardConfig.RankingLoss.PAIRWISE, 0));
            Trainer.Result r = trainer.train(d, d, tmp.resolve("rm"), Map.of(), false, Progress.Factory.NONE);
            assertEquals(5, r.steps());
            Map<String, Object> last = r.log().get(r.log().size() - 1);
            assertEquals(1.0, (double) last.get("num_dropped_too_long"), last.toString());
            assertEquals(1.0, (double) last.get("eval/num_dropped_too_long"), last.toString());
            assertTrue(Double.isFinite((double) last.get("loss")), last.toString());
            assertEquals(12 * 3 + 2, trainer.statistics().count(), "statistics cover the 13 kept rows");
            assertTrue(Files.readString(tmp.resolve("rm").resolve(Trainer.METRICS)).contains("\"num_dropped_too_long\":1.0"));
        }
    }
}
