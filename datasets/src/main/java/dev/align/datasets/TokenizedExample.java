package dev.align.datasets;

/**
 * Token ids with the positions whose prediction is trained.
 *
 * @param ids token ids
 * @param loss loss[t] is true when token t is a training target (predicted from tokens before it)
 * @param truncated whether the example was cut at max_length
 */
public record TokenizedExample(int[] ids, boolean[] loss, boolean truncated) {
    public int length() {
        return ids.length;
    }
}
