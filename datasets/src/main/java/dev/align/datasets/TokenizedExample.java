package dev.align.datasets;

/**
 * Token ids with the positions whose prediction is trained.
 *
 * @param ids token ids
 * @param loss loss[t] is true when token t is a training target (predicted from tokens before it)
 * @param promptLength the first promptLength ids are the prompt (after any cut to max_prompt_length);
 *     0 when the example has no separate prompt (plain text, a {@code messages} conversation)
 * @param promptTruncated whether the prompt was cut from the left to max_prompt_length
 * @param truncated whether the example was cut at max_length (its end is lost)
 */
public record TokenizedExample(int[] ids, boolean[] loss, int promptLength, boolean promptTruncated,
        boolean truncated) {

    /** An example without a separate prompt, e.g. packed rows. */
    public TokenizedExample(int[] ids, boolean[] loss, boolean truncated) {
        this(ids, loss, 0, false, truncated);
    }

    public int length() {
        return ids.length;
    }

    /** Tokens after the prompt; 0 when the prompt fills max_length and the completion was cut entirely. */
    public int completionLength() {
        return ids.length - promptLength;
    }
}
