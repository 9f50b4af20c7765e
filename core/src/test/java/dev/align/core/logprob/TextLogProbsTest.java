package dev.align.core.logprob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TextLogProbsTest extends EngineTest {

    /** Row log-probs and log-softmax from the trainers' full-sequence pass: (T−1) and (T−1, V). */
    static float[][] fullPass(TransformerPolicy model, int[] ids, float[] picked) {
        NDArray[] batch = TinyModels.batch(manager, List.of(ids), 0, false);
        float[] lp = LogProbs.DEFAULT.sequences(model, batch[0], batch[1], null).logProbs().toFloatArray();
        System.arraycopy(lp, 0, picked, 0, lp.length);
        int v = model.config().vocabSize();
        float[] all = model.logits(batch[0], batch[1]).logSoftmax(-1).toFloatArray(); // (1, T, V)
        float[][] rows = new float[ids.length - 1][];
        for (int t = 0; t < ids.length - 1; t++) rows[t] = Arrays.copyOfRange(all, t * v, (t + 1) * v);
        return rows;
    }

    @Test
    void continuationsSumTheFullPassOverTokensFromThePromptsEndAcrossBatches() {
        try (TransformerPolicy model = TinyModels.llama(manager, 13)) {
            Tokenizer tok = model.tokenizer();
            List<String> prompts = new ArrayList<>(), continuations = new ArrayList<>();
            for (int i = 0; i < TextLogProbs.BATCH_ROWS + 8; i++) { // two passes
                prompts.add("Q" + "?".repeat(i % 5) + " " + i + ":");
                continuations.add(i % 2 == 0 ? " yes" : " \u00e9" + "n".repeat(i % 7));
            }
            double[] got = new TextLogProbs(model).continuations(prompts, continuations);
            for (int i = 0; i < prompts.size(); i++) {
                int[] ids = tok.encode(prompts.get(i) + continuations.get(i), true);
                float[] picked = new float[ids.length - 1];
                fullPass(model, ids, picked);
                int promptTokens = tok.encode(prompts.get(i), true).length; // byte-level: the boundary is a token boundary
                double expected = 0;
                for (int t = promptTokens; t < ids.length; t++) expected += picked[t - 1];
                assertEquals(expected, got[i], 1e-4, "row " + i);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TextLogProbs(model).continuations(List.of("abc"), List.of("")));
            assertEquals("continuation 0 has no token of its own, or its prompt has none", e.getMessage());
        }
    }

    @Test
    void tokensGiveEachTargetsLogProbAndTheTopKOfTheFullDistribution() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 2)) {
            int[] a = {72, 101, 108, 108, 111, 32, 119}, b = {5, 9, 200};
            List<TextLogProbs.Scored> scored = new TextLogProbs(model).tokens(
                    List.of(Arrays.copyOf(a, 2), Arrays.copyOf(b, 3)), List.of(Arrays.copyOfRange(a, 2, a.length), new int[0]), 4);
            assertEquals(0, scored.get(1).logProbs().length, "no targets, nothing scored");
            TextLogProbs.Scored s = scored.get(0);
            float[] picked = new float[a.length - 1];
            float[][] logp = fullPass(model, a, picked);
            for (int t = 0; t < a.length - 2; t++) {
                int position = t + 1; // predicts a[t + 2]
                assertEquals(picked[position], s.logProbs()[t], 1e-5, "target " + t);
                float[] row = logp[position];
                int[] best = IntStream.range(0, row.length).boxed().sorted(Comparator.comparingDouble(v -> -row[v]))
                        .mapToInt(Integer::intValue).limit(4).toArray();
                assertArrayEquals(best, s.topIds()[t], "target " + t);
                for (int k = 0; k < 4; k++) assertEquals(row[best[k]], s.topLogProbs()[t][k], 1e-5);
            }
            assertEquals(s.logProbs()[0] + s.logProbs()[1] + s.logProbs()[2] + s.logProbs()[3] + s.logProbs()[4], s.sum(0), 1e-6);
        }
    }

    @Test
    void theContinuationStartsAtTheFirstTokenStartingAtOrAfterThePromptsEnd() {
        // tokens "ab", "c|d" (straddling: belongs to the prompt), "e", and a BOS without characters
        Tokenizer.Spans spans = new Tokenizer.Spans(new int[] {1, 2, 3, 4}, new int[] {-1, 0, 2, 4}, new int[] {-1, 2, 4, 5});
        assertEquals(3, TextLogProbs.continuationStart(spans, 3));
        assertEquals(2, TextLogProbs.continuationStart(spans, 2));
        assertEquals(4, TextLogProbs.continuationStart(spans, 5));
    }
}
