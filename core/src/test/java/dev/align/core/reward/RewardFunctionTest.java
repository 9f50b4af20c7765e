package dev.align.core.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardFunctionTest extends EngineTest {

    /** A user's reward function: the completion's length in characters. */
    public static final class CompletionLength implements RewardFunction {
        @Override
        public float[] rewards(List<Sample> samples) {
            float[] out = new float[samples.size()];
            for (int i = 0; i < out.length; i++) out[i] = samples.get(i).completion().length();
            return out;
        }
    }

    /** Not loadable: no public no-argument constructor. */
    public static final class NeedsArgument implements RewardFunction {
        public NeedsArgument(int x) {}

        @Override
        public float[] rewards(List<Sample> samples) {
            return new float[samples.size()];
        }
    }

    static Sample row(String completion, String answer, String verifier) {
        return Sample.ofText("Q", completion, verifier == null ? Map.of("answer", answer) : Map.of("answer", answer, "verifier", verifier));
    }

    @Test
    void verifierRewardReadsAnswerAndVerifierFromTheRow() {
        List<Sample> samples = List.of(row("3 + 4 = 7.", "7", "number"), row("I think the answer is B.", "B", "choice"),
                row("The capital is not Paris", "Paris", null), row("The total is 1,000.", "1000", "number"),
                row("Maybe 7, or 8.", "7", "number"));
        assertArrayEquals(new float[] {1, 1, 0, 1, 0}, new VerifierReward().rewards(samples));
        assertEquals("7", new VerifierReward().verdict(samples.get(0), 0).extracted());
        // The default verifier applies where the row has none.
        assertArrayEquals(new float[] {1}, new VerifierReward("number").rewards(List.of(row("It is 12.", "12", null))));

        BadInputException missing = assertThrows(BadInputException.class,
                () -> new VerifierReward().rewards(List.of(samples.get(0), Sample.ofText("Q", "7", Map.of()))));
        assertEquals("sample 1: field 'answer': missing", missing.getMessage());
        BadInputException unknown = assertThrows(BadInputException.class,
                () -> new VerifierReward().rewards(List.of(row("7", "7", "vibes"))));
        assertEquals("sample 0: field 'verifier': unknown verifier 'vibes' (number, choice, exact, regex:PATTERN)", unknown.getMessage());
    }

    /** The scalar head on one unpadded row, computed directly. */
    static float directScore(PolicyModel rm, int[] ids) {
        NDArray[] b = TinyModels.batch(manager, List.of(ids), rm.tokenizer().padId(), false);
        return rm.scores(rm.hidden(b[0], b[1]), b[1]).toFloatArray()[0];
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    static Sample encoded(Tokenizer t, String prompt, String completion) {
        return new Sample(prompt, completion, t.encode(prompt, true), concat(t.encode(completion), new int[] {t.eosIds()[0]}),
                Map.of());
    }

    @Test
    void rewardModelScoresTheIdsInOneBatchAsScoresDoesAndWhitensByHand() {
        TransformerPolicy rm = TinyModels.llama(manager, 1);
        rm.addScoreHead(7);
        Tokenizer tok = rm.tokenizer();
        List<Sample> samples = List.of(encoded(tok, "What is 3 + 4?", "3 + 4 = 7."), encoded(tok, "Hi", "Hello there, friend."),
                encoded(tok, "What is the capital of France?", "Paris"));
        float[] raw = new RewardModelReward(rm, tok, null).rewards(samples);
        RewardStatistics stats = new RewardStatistics(0.25, 2.0, 10);
        float[] whitened = new RewardModelReward(rm, tok, stats).rewards(samples);
        for (int i = 0; i < samples.size(); i++) {
            float direct = directScore(rm, concat(samples.get(i).promptIds(), samples.get(i).completionIds()));
            assertEquals(direct, raw[i], 1e-5, "sample " + i + ": padded batch vs one row");
            assertEquals((direct - 0.25) / 2.0, whitened[i], 1e-5, "sample " + i + ": (s - mean) / std");
        }
        assertNotEquals(raw[0], raw[1]);

        // Same vocabulary: the ids are scored as given, even when they are not the text's encoding.
        int[] otherIds = tok.encode("something else entirely");
        Sample mismatched = new Sample("What is 3 + 4?", "3 + 4 = 7.", new int[0], otherIds, Map.of());
        assertEquals(directScore(rm, otherIds), new RewardModelReward(rm, tok, null).rewards(List.of(mismatched))[0], 1e-5);
    }

    @Test
    void rewardModelReencodesTheTextWhenThePolicyTokenizerDiffers() throws Exception {
        TransformerPolicy rm = TinyModels.llama(manager, 2);
        rm.addScoreHead(3);
        // A policy tokenizer with 'a' and 'b' swapped: same text, other ids.
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(ByteLevelVocabulary.tokenizerJson());
        ObjectNode vocab = (ObjectNode) json.get("model").get("vocab");
        vocab.put("a", 98);
        vocab.put("b", 97);
        try (Tokenizer policy = Tokenizer.of(Json.pretty(json), ByteLevelVocabulary.tokenizerConfig(),
                List.of(ByteLevelVocabulary.SIZE - 1), Path.of("<swapped>"))) {
            Sample s = encoded(policy, "a banana?", "a cab");
            assertNotEquals(rm.tokenizer().encode("a cab")[0], s.completionIds()[0]);
            float got = new RewardModelReward(rm, policy, null).rewards(List.of(s))[0];
            Tokenizer t = rm.tokenizer();
            float expected = directScore(rm, concat(t.encode("a banana?", true), t.encode("a cab"), new int[] {t.eosIds()[0]}));
            assertEquals(expected, got, 1e-5);
            assertNotEquals(directScore(rm, concat(s.promptIds(), s.completionIds())), got, 1e-6);
        }
    }

    @Test
    void whitenedReadsTheStatisticsRecordedInConfigJson(@TempDir Path tmp) {
        TransformerPolicy rm = TinyModels.llama(manager, 4);
        rm.addScoreHead(5);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> RewardModelReward.whitened(rm, rm.tokenizer()));
        assertEquals("the reward model's config.json has no 'mean' and 'std' to whiten with (align rm records them); "
                + "use raw scores instead", none.getMessage());
        Path dir = tmp.resolve("rm");
        rm.save(dir, ModelDirectory.SaveOptions.DEFAULT);
        new RewardStatistics(-0.5, 4.0, 3).writeInto(dir);
        try (TransformerPolicy loaded = ModelDirectory.load(dir, manager)) {
            Sample s = encoded(loaded.tokenizer(), "Q", "an answer");
            float raw = new RewardModelReward(loaded, loaded.tokenizer(), null).rewards(List.of(s))[0];
            float whitened = RewardModelReward.whitened(loaded, loaded.tokenizer()).rewards(List.of(s))[0];
            assertEquals((raw + 0.5) / 4.0, whitened, 1e-6);
        }
    }

    @Test
    void weightedSumAddsWeightedRewards() {
        List<Sample> samples = List.of(row("7", "7", "number"), row("8", "7", "number"), row("seven!", "7", "number"));
        RewardFunction sum = WeightedSum.of(2.0, new VerifierReward(), 0.5, new CompletionLength());
        // 2·[1, 0, 0] + 0.5·[1, 1, 6]
        assertArrayEquals(new float[] {2.5f, 0.5f, 3.0f}, sum.rewards(samples));
        assertThrows(IllegalArgumentException.class, () -> new WeightedSum(List.of()));
    }

    @Test
    void aUsersClassLoadsByNameAndBadNamesAreOneLine() {
        RewardFunction f = RewardFunction.load("dev.align.core.reward.RewardFunctionTest$CompletionLength");
        assertArrayEquals(new float[] {3, 0}, f.rewards(List.of(Sample.ofText("p", "abc", null), Sample.ofText("p", "", null))));
        assertEquals("CompletionLength", f.name());
        assertEquals("reward function 'com.example.Nope': class not found on the classpath",
                assertThrows(BadInputException.class, () -> RewardFunction.load("com.example.Nope")).getMessage());
        assertEquals("reward function 'java.lang.String': does not implement dev.align.core.reward.RewardFunction",
                assertThrows(BadInputException.class, () -> RewardFunction.load("java.lang.String")).getMessage());
        assertEquals("reward function 'dev.align.core.reward.RewardFunctionTest$NeedsArgument': needs a public no-argument constructor",
                assertThrows(BadInputException.class,
                        () -> RewardFunction.load("dev.align.core.reward.RewardFunctionTest$NeedsArgument")).getMessage());
    }
}
