package dev.align.core.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationTest extends EngineTest {

    private static final List<int[]> PROMPTS = List.of(
            ByteLevelVocabulary.bytesOf("Hello"), ByteLevelVocabulary.bytesOf("Is 2+2 four?"),
            ByteLevelVocabulary.bytesOf("x"));

    @Test
    void greedyWithKvCacheGivesExactlyTheTokensOfRecomputation() {
        for (TransformerPolicy model : TinyModels.all(manager, 21)) {
            SamplingConfig greedy = SamplingConfig.greedy(40);
            List<GenerationOutput> cached = model.generate(PROMPTS, greedy);
            List<GenerationOutput> recomputed = model.generate(PROMPTS, greedy.withCache(false));
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertEquals(40, cached.get(i).tokens().length);
                assertArrayEquals(recomputed.get(i).tokens(), cached.get(i).tokens(), model.config().modelType());
                assertArrayEquals(recomputed.get(i).logProbs(), cached.get(i).logProbs(), 1e-4f);
            }
            model.close();
        }
    }

    @Test
    void batchedLeftPaddedGenerationEqualsOnePromptAtATime() {
        try (TransformerPolicy model = TinyModels.llama(manager, 5)) {
            List<GenerationOutput> batched = model.generate(PROMPTS, SamplingConfig.greedy(25));
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationOutput alone = model.generate(List.of(PROMPTS.get(i)), SamplingConfig.greedy(25)).get(0);
                assertArrayEquals(alone.tokens(), batched.get(i).tokens());
            }
        }
    }

    @Test
    void sameSeedSameTextAndOtherSeedOtherText() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 8)) {
            SamplingConfig a = new SamplingConfig(30, 1.0f, 50, 0.95f, List.of(), true, 1);
            SamplingConfig b = new SamplingConfig(30, 1.0f, 50, 0.95f, List.of(), true, 2);
            var first = model.generate(PROMPTS, a);
            var again = model.generate(PROMPTS, a);
            var other = model.generate(PROMPTS, b);
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(first.get(i).tokens(), again.get(i).tokens());
                assertEquals(first.get(i).text(), again.get(i).text());
            }
            assertNotEquals(first.get(0).text() + first.get(1).text(), other.get(0).text() + other.get(1).text());
        }
    }

    @Test
    void sampledLogProbsMatchTheModelsOwnScoringOfTheSequence() {
        try (TransformerPolicy model = TinyModels.qwen2(manager, 3)) {
            int[] prompt = PROMPTS.get(1);
            GenerationOutput out = model.generate(List.of(prompt),
                    new SamplingConfig(12, 1.0f, 0, 1.0f, List.of(), true, 4)).get(0);
            int[] all = new int[prompt.length + out.tokens().length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(out.tokens(), 0, all, prompt.length, out.tokens().length);
            NDArray[] b = TinyModels.batch(manager, List.of(all), 0, false);
            float[] scored = LogProbs.DEFAULT.sequences(model, b[0], b[1], null).logProbs().get(new NDIndex("0, {}:", prompt.length - 1)).toFloatArray();
            assertArrayEquals(scored, out.logProbs(), 1e-4f);
        }
    }

    @Test
    void stopsAtEosAndAtStopStrings() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 9)) {
            // Make every position predict EOS: hidden = LN_f bias = a scaled copy of EOS's embedding.
            int eos = model.tokenizer().eosIds()[0];
            NDArray wte = model.parameters().get("transformer.wte.weight");
            NDArray eosRow = wte.get(new NDIndex("{}", eos)).mul(10f);
            wte.set(new NDIndex("{}", eos), eosRow);
            model.parameters().get("transformer.ln_f.weight").muli(0f);
            model.parameters().get("transformer.ln_f.bias").set(eosRow.toFloatArray());
            GenerationOutput out = model.generate(List.of(PROMPTS.get(0)), SamplingConfig.greedy(10)).get(0);
            assertEquals("eos", out.finishReason());
            assertArrayEquals(new int[] {eos}, out.tokens());
            assertEquals("", out.text());
        }
        try (TransformerPolicy model = TinyModels.llama(manager, 1)) {
            GenerationOutput free = model.generate(List.of(PROMPTS.get(0)), SamplingConfig.greedy(30)).get(0);
            assertEquals("length", free.finishReason());
            String stop = free.text().substring(3, 5);
            GenerationOutput cut = model.generate(List.of(PROMPTS.get(0)),
                    new SamplingConfig(30, 0f, 0, 1f, List.of(stop), true, 0)).get(0);
            assertEquals("stop", cut.finishReason());
            assertFalse(cut.text().contains(stop));
            assertTrue(free.text().startsWith(cut.text()));
        }
    }
}
