package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.reward.Sample;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reward model as a reward function scores exactly the tokens {@code align rm} trained on. */
class RewardModelRewardTest extends EngineTest {

    /** What reward training encodes for a pair (RewardObjective: {@code scorer.encode(prompt, response)}). */
    static int[] alignRmIds(PolicyModel rm, Example.Turns prompt, String response) {
        return new ResponseScorer(rm, 4096, 4).encode(prompt, Example.Turns.of(response)).ids();
    }

    /** The scalar head on one unpadded row, computed directly. */
    static float directScore(PolicyModel rm, int[] ids) {
        NDArray[] b = TinyModels.batch(manager, List.of(ids), rm.tokenizer().padId(), false);
        return rm.scores(rm.hidden(b[0], b[1]), b[1]).toFloatArray()[0];
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A sample as a generator holds it: the policy's ids, the generation ending with its EOS id. */
    static Sample generated(Tokenizer policy, String prompt, String completion) {
        int[] ids = policy.encode(completion, false);
        int[] withEos = Arrays.copyOf(ids, ids.length + 1);
        withEos[ids.length] = policy.eosIds()[0];
        return new Sample(prompt, completion, policy.encode(prompt, true), withEos, Map.of());
    }

    @Test
    void llama2PlainPairsAreOnePassTokensWithOneEos() {
        Tokenizer llama2 = OnePassEncodingTest.llama2();
        TransformerPolicy rm = TransformerPolicy.initialize(manager,
                ModelConfig.llama("llama", 32000, 16, 1, 2, 1, 32, 256, false), llama2, 1);
        rm.addScoreHead(2);
        Sample s = generated(llama2, "What is 3 + 4?", "3 + 4 = 7.");
        int[] ids = new RewardModelReward(rm, null, 4).idsOf(s);
        assertArrayEquals(alignRmIds(rm, Example.Turns.of(s.prompt()), s.completion()), ids);
        // Not the pieces encoded apart (a SentencePiece "▁" at the boundary): what the policy's ids are.
        assertNotEquals(concat(s.promptIds(), s.completionIds()).length, ids.length);
        assertEquals(llama2.eosIds()[0], ids[ids.length - 1]);
        assertNotEquals(llama2.eosIds()[0], ids[ids.length - 2], "one EOS");

        // A chat prompt: rendered with the reward model's own template, as training renders it.
        List<Message> chat = List.of(new Message("user", "What is 3 + 4?"));
        Sample c = new Sample(llama2.chatTemplate().render(chat, true), "3 + 4 = 7.", null, null, Map.of(), chat);
        assertArrayEquals(alignRmIds(rm, Example.Turns.of(chat), c.completion()), new RewardModelReward(rm, null, 4).idsOf(c));
    }

    @Test
    void chatSamplesEndWhereTheTemplateClosesTheTurnNotAtTheGeneratedEos() {
        TransformerPolicy rm = TinyModels.llama(manager, 1);
        rm.addScoreHead(2);
        Tokenizer tok = rm.tokenizer();
        List<Message> chat = List.of(new Message("system", "Be brief."), new Message("user", "What is 3 + 4?"));
        String rendered = tok.chatTemplate().render(chat, true);
        int[] completionIds = tok.encode("3 + 4 = 7.<|im_end|>", false); // generation stops at <|im_end|>
        Sample s = new Sample(rendered, "3 + 4 = 7.", tok.encode(rendered, false), completionIds, Map.of(), chat);
        int[] ids = new RewardModelReward(rm, null, 4).idsOf(s);
        assertArrayEquals(alignRmIds(rm, Example.Turns.of(chat), "3 + 4 = 7."), ids);
        assertEquals("3 + 4 = 7.<|im_end|>\n", tok.decode(Arrays.copyOfRange(ids, s.promptIds().length, ids.length), false));
        assertFalse(Arrays.equals(concat(s.promptIds(), s.completionIds()), ids), "the policy's ids are not what training saw");
    }

    @Test
    void scoresAreTheHeadOnEachRowInBatchesAndWhitenedByHand() {
        TransformerPolicy rm = TinyModels.llama(manager, 1);
        rm.addScoreHead(7);
        Tokenizer tok = rm.tokenizer();
        List<Sample> samples = List.of(generated(tok, "What is 3 + 4?", "3 + 4 = 7."), generated(tok, "Hi", "Hello there, friend."),
                generated(tok, "What is the capital of France?", "Paris"));
        float[] raw = new RewardModelReward(rm, null, 2).rewards(samples);
        RewardStatistics stats = new RewardStatistics(0.25, 2.0, 10);
        float[] whitened = new RewardModelReward(rm, stats, 3).rewards(samples);
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            float direct = directScore(rm, alignRmIds(rm, Example.Turns.of(s.prompt()), s.completion()));
            assertEquals(direct, raw[i], 1e-5, "sample " + i + ": padded batch vs one row");
            assertEquals((direct - 0.25) / 2.0, whitened[i], 1e-5, "sample " + i + ": (s - mean) / std");
        }
        assertNotEquals(raw[0], raw[1]);
    }

    @Test
    void aSequenceLongerThanThePositionsKeepsItsEnd() {
        TransformerPolicy rm = TinyModels.llama(manager, 3);
        rm.addScoreHead(1);
        int max = rm.config().maxPositions();
        Sample s = Sample.ofText("Q: ", "x".repeat(max + 20), Map.of());
        int[] full = alignRmIds(rm, Example.Turns.of(s.prompt()), s.completion());
        int[] ids = new RewardModelReward(rm, null, 1).idsOf(s);
        assertArrayEquals(Arrays.copyOfRange(full, full.length - max, full.length), ids);
        assertEquals(directScore(rm, ids), new RewardModelReward(rm, null, 1).rewards(List.of(s))[0], 1e-5);
    }

    @Test
    void whitenedReadsTheStatisticsRecordedInConfigJson(@TempDir Path tmp) {
        TransformerPolicy rm = TinyModels.llama(manager, 4);
        rm.addScoreHead(5);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> RewardModelReward.whitened(rm, 4));
        assertEquals("the reward model's config.json has no 'mean' and 'std' to whiten with (align rm records them); "
                + "use raw scores instead", none.getMessage());
        Path dir = tmp.resolve("rm");
        rm.save(dir, ModelDirectory.SaveOptions.DEFAULT);
        new RewardStatistics(-0.5, 4.0, 3).writeInto(dir);
        try (TransformerPolicy loaded = ModelDirectory.load(dir, manager)) {
            Sample s = Sample.ofText("Q", "an answer", Map.of());
            float raw = new RewardModelReward(loaded, null, 4).rewards(List.of(s))[0];
            float whitened = RewardModelReward.whitened(loaded, 4).rewards(List.of(s))[0];
            assertEquals((raw + 0.5) / 4.0, whitened, 1e-6);
        }
    }
}
