package dev.align.core.logprob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.align.core.EngineTest;
import dev.align.core.OfflineDjl;
import dev.align.core.TinyModels;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Gradients;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenLogProbsTest extends EngineTest {
    static final List<int[]> PROMPTS = List.of(new int[] {5, 9, 200, 31}, new int[] {72}, new int[] {3, 1, 4});
    static final List<int[]> COMPLETIONS = List.of(new int[] {17, 4}, new int[] {101, 102, 103, 104}, new int[] {88});

    /** log softmax(z/τ)[y] and the entropy, in double precision from the model's own logits. */
    static double[] byHand(float[] logits, int v, int row, int position, int target, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        double[] z = new double[v];
        for (int i = 0; i < v; i++) {
            z[i] = logits[(row * v) + i] / temperature;
            max = Math.max(max, z[i]);
        }
        double sum = 0;
        for (double x : z) sum += Math.exp(x - max);
        double logZ = max + Math.log(sum), entropy = 0;
        for (double x : z) entropy -= Math.exp(x - logZ) * (x - logZ);
        return new double[] {z[target] - logZ, entropy};
    }

    @Test
    void logProbsAndEntropyMatchAHandComputedSoftmaxAtEachTemperature() {
        try (TransformerPolicy model = TinyModels.llama(manager, 21)) {
            int[] row = {7, 42, 99, 3, 250};
            NDArray[] b = TinyModels.batch(manager, List.of(row), 0, false);
            float[] logits = model.logits(b[0], b[1]).toFloatArray(); // (1, 5, V)
            int v = model.config().vocabSize();
            for (double tau : new double[] {1.0, 0.7, 2.0}) {
                TokenLogProbs t = LogProbs.at(tau).withEntropy().sequences(model, b[0], b[1], null);
                float[] lp = t.logProbs().toFloatArray(), h = t.entropy().toFloatArray();
                for (int i = 1; i < row.length; i++) { // column i−1 is token i, predicted at position i−1
                    double[] expected = byHand(logits, v, i - 1, i - 1, row[i], tau);
                    assertEquals(expected[0], lp[i - 1], 1e-4, "tau " + tau + " token " + i);
                    assertEquals(expected[1], h[i - 1], 1e-4, "entropy, tau " + tau + " token " + i);
                }
            }
            // τ really scales: log-probs at τ = 2 differ from those at τ = 1
            assertNotEquals(LogProbs.at(2).sequences(model, b[0], b[1], null).logProbs().getFloat(0, 0),
                    LogProbs.DEFAULT.sequences(model, b[0], b[1], null).logProbs().getFloat(0, 0), 1e-3f);
        }
    }

    @Test
    void completionOnlyLogProbsEqualTheFullSequenceComputation() {
        for (TransformerPolicy model : TinyModels.all(manager, 22)) {
            CompletionBatch batch = CompletionBatch.of(manager, PROMPTS, COMPLETIONS, model.tokenizer().padId());
            LogProbs lp = LogProbs.at(0.8).withEntropy();
            TokenLogProbs part = lp.completions(model, batch); // (B, C)
            TokenLogProbs full = lp.sequences(model, batch.ids(), batch.attention(), null); // (B, P+C−1)
            long p = batch.promptLength();
            assertEquals(part.logProbs().getShape(), batch.completionIds().getShape());
            assertClose(full.logProbs().get(":, {}:", p - 1), part.logProbs(), 1e-5, model + " log-probs");
            assertClose(full.entropy().get(":, {}:", p - 1), part.entropy(), 1e-5, model + " entropy");
            assertClose(full.mask().get(":, {}:", p - 1), part.mask(), 0, model + " mask");
            assertClose(batch.completionMask().toType(ai.djl.ndarray.types.DataType.FLOAT32, false), part.mask(), 0,
                    model + " completion mask");
            model.close();
        }
    }

    /** Each completion's log-probs in a left/right-padded batch equal those of the row alone, at every column. */
    @Test
    void completionLogProbsDoNotDependOnPaddingOrBatchNeighbours() {
        for (TransformerPolicy model : TinyModels.all(manager, 23)) {
            int pad = model.tokenizer().padId();
            CompletionBatch batch = CompletionBatch.of(manager, PROMPTS, COMPLETIONS, pad);
            float[] batched = LogProbs.at(0.9).completions(model, batch).logProbs().toFloatArray();
            int c = (int) batch.completionLength();
            for (int r = 0; r < PROMPTS.size(); r++) {
                CompletionBatch alone = CompletionBatch.of(manager, List.of(PROMPTS.get(r)), List.of(COMPLETIONS.get(r)), pad);
                float[] single = LogProbs.at(0.9).completions(model, alone).logProbs().toFloatArray();
                for (int j = 0; j < c; j++) {
                    float expected = j < single.length ? single[j] : 0f;
                    assertEquals(expected, batched[r * c + j], 1e-5, model + " row " + r + " column " + j);
                }
            }
            model.close();
        }
    }

    @Test
    void microBatchesGiveTheSameResultAsOnePass() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 24)) {
            CompletionBatch batch = CompletionBatch.of(manager, PROMPTS, COMPLETIONS, model.tokenizer().padId());
            assertClose(LogProbs.DEFAULT.completions(model, batch).logProbs(),
                    LogProbs.DEFAULT.inMicroBatches(2).completions(model, batch).logProbs(), 1e-5, "completions");
            NDArray ids = batch.ids(), att = batch.attention();
            TokenLogProbs one = LogProbs.DEFAULT.withEntropy().sequences(model, ids, att, null);
            TokenLogProbs micro = LogProbs.DEFAULT.withEntropy().inMicroBatches(1).sequences(model, ids, att, null);
            assertClose(one.logProbs(), micro.logProbs(), 1e-5, "sequences");
            assertClose(one.entropy(), micro.entropy(), 1e-5, "entropy");
        }
    }

    @Test
    void gradientsFlowInsideACollectorAndNothingIsRecordedOutside() {
        try (TransformerPolicy model = TinyModels.llama(manager, 25)) {
            CompletionBatch batch = CompletionBatch.of(manager, PROMPTS, COMPLETIONS, model.tokenizer().padId());
            LogProbs lp = LogProbs.at(0.7).inMicroBatches(1);
            model.setTrainable(true);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray outside = lp.completions(model, batch).logProbs(), reference;
                try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                    TokenLogProbs inside = lp.completions(model, batch);
                    reference = ReferencePolicy.shared(model).completions(lp, batch).logProbs();
                    assertClose(outside, inside.logProbs(), 1e-5, "same numbers inside and outside");
                    gc.backward(inside.sum().sum());
                }
                double norm = Gradients.globalNorm(model.parameters().values());
                assertTrue(norm > 0 && Double.isFinite(norm), "gradient norm " + norm);
                Gradients.zero(model.parameters().values());
                // No graph: autograd refuses to differentiate what was computed outside a collector or by the reference.
                for (NDArray unrecorded : new NDArray[] {outside, reference}) {
                    try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                        assertThrows(EngineException.class, () -> gc.backward(unrecorded.sum()));
                    }
                }
            } finally {
                model.setTrainable(false);
            }
        }
    }

    @Test
    void precomputedReferenceScoresEqualLiveOnesAndOutliveTheModel() {
        TransformerPolicy base = TinyModels.qwen2(manager, 26);
        PolicyModel copy;
        NDArray live;
        CompletionBatch batch = CompletionBatch.of(manager, PROMPTS, COMPLETIONS, base.tokenizer().padId());
        ReferencePolicy.ExampleScores scores = (ref, examples) -> {
            CompletionBatch rows = batch.rows(examples[0], examples[examples.length - 1] + 1);
            TokenLogProbs t = ref.completions(LogProbs.DEFAULT, rows);
            return t.sum().stack(t.mean(), 1); // (n, 2)
        };
        try (ReferencePolicy reference = ReferencePolicy.frozenCopyOf(base)) {
            copy = reference.model();
            live = reference.scores(manager, "data", new int[] {0, 1, 2}, scores);
            reference.precompute("data", 3, 2, scores);
            reference.release();
            assertFalse(reference.isLive());
            assertFalse(copy.manager().isOpen(), "an owned copy is closed on release");
            assertThrows(IllegalStateException.class, reference::model);
            assertClose(live.get("1:3"), reference.scores(manager, "data", new int[] {1, 2}, scores), 1e-5, "table");
            assertThrows(IllegalStateException.class, () -> reference.scores(manager, "other", new int[] {0}, scores));
        }
        try (ReferencePolicy shared = ReferencePolicy.shared(base)) {
            assertClose(live, shared.scores(manager, "data", new int[] {0, 1, 2}, scores), 1e-5, "shared model");
        }
        assertTrue(base.manager().isOpen(), "a shared model is not closed");
        base.close();
    }

    static void assertClose(NDArray expected, NDArray actual, double tolerance, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what);
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], tolerance, what + " element " + i);
    }
}
