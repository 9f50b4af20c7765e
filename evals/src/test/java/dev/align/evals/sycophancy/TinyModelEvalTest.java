package dev.align.evals.sycophancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.EngineTest;
import dev.align.core.inference.LocalModel;
import dev.align.core.inference.ReplySettings;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import dev.align.datasets.synth.SycophancyWorld;
import dev.align.evals.ExternalEvalFiles;
import dev.align.evals.ItemResult;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every real fixture file, and the world's probes, scored end to end by a tiny in-process model. */
class TinyModelEvalTest extends EngineTest {
    @TempDir Path tmp;

    /** A tiny Llama with room for SycophancyEval's longest prompts (~1000 bytes). */
    static TransformerPolicy tiny() {
        ModelConfig c = ModelConfig.llama("llama", ByteLevelVocabulary.SIZE, 32, 2, 4, 2, 64, 1200, false);
        return TransformerPolicy.initialize(manager, c, Tokenizer.byteLevel(), 5);
    }

    static final SycophancyEval.Options OPTIONS = SycophancyEval.Options.defaults().withSettings(ReplySettings.greedy(6));

    /** The outcome names present in the results, with how many items have each. */
    static Map<String, Integer> outcomeCounts(List<ItemResult> results) {
        Map<String, Integer> m = new TreeMap<>();
        for (ItemResult r : results) r.outcomes().keySet().forEach(k -> m.merge(k, 1, Integer::sum));
        return m;
    }

    @Test
    void everyFixtureFileScores() {
        try (LocalModel model = new LocalModel("tiny", tiny(), true, 64, 0)) {
            EvalData ays = EvalData.read(ExternalEvalFiles.file("sycophancy-eval/are_you_sure.head5.jsonl"));
            List<ItemResult> r = SycophancyEval.score(model, ays, OPTIONS);
            assertEquals(Map.of("first_correct", 5), Map.of("first_correct", outcomeCounts(r).getOrDefault("first_correct", 0)));
            for (ItemResult x : r) assertTrue(x.details().get("first_reply").toString().startsWith("The answer is ("));

            r = SycophancyEval.score(model, EvalData.read(ExternalEvalFiles.file("sycophancy-eval/answer.head5.jsonl")), OPTIONS);
            assertEquals(Map.of("agrees_with_suggestion", 1, "correct", 5), outcomeCounts(r));

            r = SycophancyEval.score(model, EvalData.read(ExternalEvalFiles.file("sycophancy-eval/feedback.head5.jsonl")), OPTIONS);
            // each opinion variant against the baseline: an outcome, or a tie (identical greedy comments) and no outcome
            for (ItemResult x : r.subList(1, 5)) {
                assertTrue(x.outcomes().containsKey("more_positive") ^ Boolean.TRUE.equals(x.details().get("tie")), x.toString());
            }
            for (ItemResult x : r) assertTrue(Double.isFinite((Double) x.details().get("positivity")), x.toString());

            for (String f : List.of("political_typology_quiz_liberal-bio_liberal.every10th.jsonl",
                    "political_typology_quiz_liberal-bio_conservative.every10th.jsonl")) {
                EvalData ab = EvalData.read(ExternalEvalFiles.file("model-written-evals/" + f));
                EvalData head = new EvalData(ab.name(), ab.file(), ab.kind(), ab.items().subList(0, 12));
                r = SycophancyEval.score(model, head, OPTIONS);
                assertEquals(Map.of("matches_user", 12), outcomeCounts(r));
                for (ItemResult x : r) {
                    double m = (Double) x.details().get("logprob_matching"), n = (Double) x.details().get("logprob_not_matching");
                    assertTrue(m < 0 && n < 0 && m != n, x.toString());
                    assertEquals(m > n, x.outcomes().get("matches_user"));
                }
            }
        }
    }

    @Test
    void theWorldsProbesScoreWithUniqueKeysAndEveryGroup() {
        Path world = tmp.resolve("world");
        new SycophancyWorld(SycophancyWorld.Config.defaults(2)).write(world);
        EvalData all = EvalData.read(world.resolve("sycophancy-eval.jsonl"));
        assertEquals(DataKind.WORLD, all.kind());
        int n = all.items().size(); // the first 8 eval facts and the last 8 train facts, 3 probes each
        List<EvalItem> some = new java.util.ArrayList<>(all.items().subList(0, 24));
        some.addAll(all.items().subList(n - 24, n));
        EvalData data = new EvalData(all.name(), all.file(), all.kind(), some);
        try (LocalModel model = new LocalModel("tiny", tiny(), true, 64, 0)) {
            List<ItemResult> r = SycophancyEval.score(model, data, OPTIONS);
            int rows = data.items().size();
            assertEquals(rows + 2 * rows / 3, r.size(), "are_you_sure rows give one item per protocol (3)");
            Set<String> keys = new HashSet<>();
            for (ItemResult x : r) {
                assertTrue(keys.add(x.key()), x.key());
                assertFalse(x.outcomes().isEmpty(), x.toString());
                assertTrue(x.groups().keySet().containsAll(List.of("family", "split", "held_out_template")), x.toString());
            }
            Map<String, Integer> splits = new TreeMap<>();
            for (ItemResult x : r) splits.merge(x.groups().get("split"), 1, Integer::sum);
            assertEquals(splits.get("eval"), splits.get("train"));
        }
    }
}
