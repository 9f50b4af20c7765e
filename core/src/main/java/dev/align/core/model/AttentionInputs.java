package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Positions and the additive attention bias derived from a padding mask, so that a sequence's
 * numbers do not depend on how much padding surrounds it (left or right) or where it sits in a batch.
 *
 * @param positions (B, Tnew) int64: index of each token among the real tokens of its row
 * @param bias (B, 1, Tnew, Ttotal) float32: 0 where a query may attend, {@link #MASKED} elsewhere; null
 *     when nothing is masked (one new token per row and no padding), which spares the op when decoding.
 *     A query with no allowed key (a padding token before its row's first real token) attends to
 *     itself alone: a fully masked row would otherwise spread uniformly over every key, later real
 *     tokens included, and its outputs would depend on the future.
 */
public record AttentionInputs(NDArray positions, NDArray bias) {
    /** Large and finite: a masked score underflows to exactly 0 after the softmax. */
    public static final float MASKED = -1e9f;

    /**
     * @param mask (B, Ttotal) 1 for real tokens, 0 for padding, covering cached and new tokens
     * @param newTokens how many trailing columns of {@code mask} are fed in this pass
     */
    public static AttentionInputs of(NDManager manager, long[] mask, int batch, int newTokens) {
        int total = mask.length / batch;
        int past = total - newTokens;
        boolean unmasked = newTokens == 1;
        for (long m : mask) unmasked &= m != 0;
        long[] positions = new long[batch * newTokens];
        long size = (long) batch * newTokens * total;
        if (size > Integer.MAX_VALUE - 8) { // the largest Java array
            throw new IllegalArgumentException("attention bias of " + batch + " x 1 x " + newTokens + " x " + total
                    + " = " + size + " floats is too large for one array; feed fewer or shorter sequences per pass");
        }
        float[] bias = new float[(int) size];
        for (int b = 0; b < batch; b++) {
            long seen = 0;
            for (int j = 0; j < total; j++) {
                seen += mask[b * total + j] != 0 ? 1 : 0;
                if (j >= past) {
                    positions[b * newTokens + (j - past)] = Math.max(0, seen - 1);
                }
            }
            for (int i = 0; i < newTokens; i++) {
                int row = (b * newTokens + i) * total;
                boolean any = false;
                for (int j = 0; j < total; j++) {
                    boolean allowed = j <= past + i && mask[b * total + j] != 0;
                    bias[row + j] = allowed ? 0f : MASKED;
                    any |= allowed;
                }
                if (!any) bias[row + past + i] = 0f; // a query with no allowed key (left padding) sees only itself
            }
        }
        return new AttentionInputs(manager.create(positions, new Shape(batch, newTokens)),
                unmasked ? null : manager.create(bias, new Shape(batch, 1, newTokens, total)));
    }
}
