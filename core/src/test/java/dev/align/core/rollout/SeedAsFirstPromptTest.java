package dev.align.core.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One request per prompt (an OpenAI endpoint) reproduces a batched call through {@link RolloutEngine#seedAsFirstPrompt},
 * and requests with different seeds decode together through {@link RolloutEngine#indexUnderSeed}.
 */
class SeedAsFirstPromptTest extends EngineTest {

    @Test
    void promptZeroUnderTheDerivedSeedDrawsWhatPromptIDrawsUnderTheSeed() {
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 1000; trial++) {
            long seed = r.nextLong(), index = trial % 7 == 0 ? r.nextLong() : r.nextInt(1000);
            int sample = r.nextInt(16);
            assertEquals(RolloutEngine.sampleSeed(seed, index, sample),
                    RolloutEngine.sampleSeed(RolloutEngine.seedAsFirstPrompt(seed, index), 0, sample), "trial " + trial);
        }
        for (int trial = 0; trial < 1000; trial++) {
            long seed = r.nextLong(), index = r.nextInt(1000), common = trial % 2 == 0 ? 0 : r.nextLong();
            int sample = r.nextInt(16);
            assertEquals(RolloutEngine.sampleSeed(seed, index, sample),
                    RolloutEngine.sampleSeed(common, RolloutEngine.indexUnderSeed(seed, index, common), sample), "trial " + trial);
        }
        assertEquals(5L, RolloutEngine.seedAsFirstPrompt(5, 0), "prompt 0 keeps its seed");
        assertEquals(3L, RolloutEngine.indexUnderSeed(9, 3, 9), "the same seed keeps its index");
        assertNotEquals(5L, RolloutEngine.seedAsFirstPrompt(5, 1));
    }

    @Test
    void sampledCompletionsOfABatchedCallEqualOnePromptCallsWithDerivedSeeds() {
        List<int[]> prompts = List.of(ByteLevelVocabulary.bytesOf("Hello"), ByteLevelVocabulary.bytesOf("Is 7 prime?"),
                ByteLevelVocabulary.bytesOf("x"), ByteLevelVocabulary.bytesOf("The capital of France is"));
        try (TransformerPolicy model = TinyModels.qwen2(manager, 8)) {
            RolloutEngine engine = new RolloutEngine(model);
            RolloutConfig cfg = RolloutConfig.sampling(12, 1f, 0, 0.9f, 0).withSeed(77).withNumGenerations(2);
            List<Rollout> batched = engine.generate(Prompt.numbered(prompts), cfg);
            for (int i = 0; i < prompts.size(); i++) {
                List<Rollout> alone = engine.generate(List.of(new Prompt(0, prompts.get(i))),
                        cfg.withSeed(RolloutEngine.seedAsFirstPrompt(77, i)));
                for (int g = 0; g < 2; g++) {
                    assertArrayEquals(batched.get(2 * i + g).completionIds(), alone.get(g).completionIds(), "prompt " + i + " sample " + g);
                }
                List<Rollout> sameSeed = engine.generate(List.of(new Prompt(0, prompts.get(i))), cfg);
                if (i > 0) assertNotEquals(List.of(batched.get(2 * i).text(), batched.get(2 * i + 1).text()),
                        List.of(sameSeed.get(0).text(), sameSeed.get(1).text()), "the seed matters, prompt " + i);
            }
        }
    }
}
