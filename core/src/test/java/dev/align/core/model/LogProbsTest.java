package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogProbsTest extends EngineTest {

    @Test
    void batchedPaddedLogProbsEqualUnbatchedOnes() {
        List<int[]> rows = List.of(new int[] {5, 9, 200, 31, 17, 4, 88}, new int[] {72, 101}, new int[] {3, 1, 4, 1, 5});
        for (TransformerPolicy model : TinyModels.all(manager, 11)) {
            for (boolean leftPad : new boolean[] {true, false}) {
                NDArray[] batch = TinyModels.batch(manager, rows, model.tokenizer().padId(), leftPad);
                float[] batched = model.tokenLogProbs(batch[0], batch[1]).toFloatArray();
                int t = (int) batch[0].getShape().get(1);
                for (int r = 0; r < rows.size(); r++) {
                    int[] row = rows.get(r);
                    NDArray[] single = TinyModels.batch(manager, List.of(row), 0, false);
                    float[] alone = model.tokenLogProbs(single[0], single[1]).toFloatArray();
                    int off = leftPad ? t - row.length : 0;
                    for (int i = 0; i < row.length - 1; i++) {
                        assertEquals(alone[i], batched[r * (t - 1) + off + i], 1e-5,
                                model.config().modelType() + " row " + r + " token " + i + " leftPad=" + leftPad);
                    }
                }
            }
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
