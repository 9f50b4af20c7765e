package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.logprob.LogProbs;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogProbsTest extends EngineTest {

    /**
     * Every column of the batched (B, T−1) result, the first real token of a left-padded row
     * included: the row's own log-probs where a token and its predecessor are real, exactly 0 elsewhere.
     */
    @Test
    void batchedPaddedLogProbsEqualUnbatchedOnesAtEveryIndex() {
        List<int[]> rows = List.of(new int[] {5, 9, 200, 31, 17, 4, 88}, new int[] {72, 101}, new int[] {3, 1, 4, 1, 5});
        for (TransformerPolicy model : TinyModels.all(manager, 11)) {
            for (boolean leftPad : new boolean[] {true, false}) {
                NDArray[] batch = TinyModels.batch(manager, rows, model.tokenizer().padId(), leftPad);
                float[] batched = LogProbs.DEFAULT.sequences(model, batch[0], batch[1], null).logProbs().toFloatArray();
                int t = (int) batch[0].getShape().get(1);
                for (int r = 0; r < rows.size(); r++) {
                    int[] row = rows.get(r);
                    NDArray[] single = TinyModels.batch(manager, List.of(row), 0, false);
                    float[] alone = LogProbs.DEFAULT.sequences(model, single[0], single[1], null).logProbs().toFloatArray();
                    int off = leftPad ? t - row.length : 0;
                    float[] expected = new float[t - 1];
                    for (int i = 0; i < row.length - 1; i++) expected[off + i] = alone[i];
                    for (int j = 0; j < t - 1; j++) {
                        assertEquals(expected[j], batched[r * (t - 1) + j], 1e-5, model.config().modelType() + " row " + r
                                + " column " + j + " (first real token at " + off + ") leftPad=" + leftPad);
                    }
                }
            }
            model.close();
        }
    }

    /** A padding query attends to itself only, so its hidden state cannot depend on later tokens. */
    @Test
    void leftPaddingPositionsDoNotSeeLaterTokens() {
        for (TransformerPolicy model : TinyModels.all(manager, 12)) {
            int pad = model.tokenizer().padId();
            NDArray[] a = TinyModels.batch(manager, List.of(new int[] {5, 9, 200, 31}, new int[] {72, 101}), pad, true);
            NDArray[] b = TinyModels.batch(manager, List.of(new int[] {5, 9, 200, 31}, new int[] {72, 102}), pad, true);
            NDArray padA = model.hidden(a[0], a[1]).get("1, 0:2"), padB = model.hidden(b[0], b[1]).get("1, 0:2");
            float[] x = padA.toFloatArray(), y = padB.toFloatArray();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 0f, model.config().modelType() + " element " + i);
            model.close();
        }
    }

    @Test
    void logProbsAreNormalisedDistributions() {
        try (TransformerPolicy model = TinyModels.qwen2(manager, 2)) {
            NDArray[] b = TinyModels.batch(manager, List.of(new int[] {1, 2, 3}), 0, false);
            NDArray probs = model.logits(b[0], b[1]).softmax(-1).sum(new int[] {-1});
            for (float p : probs.toFloatArray()) assertEquals(1f, p, 1e-5);
        }
    }

    @Test
    void scoreHeadIgnoresPadding() {
        try (TransformerPolicy model = TinyModels.llama(manager, 4)) {
            model.addScoreHead(9);
            List<int[]> rows = List.of(new int[] {10, 20, 30, 40, 50}, new int[] {7, 8});
            NDArray[] b = TinyModels.batch(manager, rows, 0, false);
            float[] batched = model.scores(model.hidden(b[0], b[1]), b[1]).toFloatArray();
            for (int r = 0; r < rows.size(); r++) {
                NDArray[] s = TinyModels.batch(manager, List.of(rows.get(r)), 0, false);
                assertEquals(model.scores(model.hidden(s[0], s[1]), s[1]).getFloat(0), batched[r], 1e-5);
            }
        }
    }
}
