package dev.align.datasets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Tokenized examples right-padded into one batch.
 *
 * @param ids (B, T) int64 token ids, {@code padId} after each row's end
 * @param attention (B, T) int64: 1 for real tokens, 0 for padding
 * @param loss (B, T) int64: 1 where the token is a training target (e.g. a response token)
 * @param tokens real tokens in the batch
 */
public record TokenBatch(NDArray ids, NDArray attention, NDArray loss, long tokens) {

    public static TokenBatch of(NDManager manager, List<TokenizedExample> rows, int padId) {
        int t = rows.stream().mapToInt(TokenizedExample::length).max().orElse(1);
        long[] ids = new long[rows.size() * t];
        long[] att = new long[rows.size() * t];
        long[] loss = new long[rows.size() * t];
        long tokens = 0;
        for (int r = 0; r < rows.size(); r++) {
            TokenizedExample e = rows.get(r);
            for (int i = 0; i < t; i++) {
                boolean real = i < e.length();
                ids[r * t + i] = real ? e.ids()[i] : padId;
                att[r * t + i] = real ? 1 : 0;
                loss[r * t + i] = real && e.loss()[i] ? 1 : 0;
                if (real) tokens++;
            }
        }
        Shape s = new Shape(rows.size(), t);
        return new TokenBatch(manager.create(ids, s), manager.create(att, s), manager.create(loss, s), tokens);
    }
}
