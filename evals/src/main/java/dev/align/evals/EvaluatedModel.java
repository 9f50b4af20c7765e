package dev.align.evals;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
import java.util.Optional;

/**
 * A model under evaluation: a model directory run in-process ({@link LocalModel}) or any
 * OpenAI-compatible server. Every eval reads models only through this interface, so a result computed
 * in-process and through {@code align serve} are the same numbers.
 */
public interface EvaluatedModel extends AutoCloseable {

    /** The name the report uses ({@code --model NAME=DIR}, {@code --endpoint NAME=URL}). */
    String name();

    /**
     * One free-form reply per conversation, in order. A trailing assistant message is a prefill: the
     * reply continues it and does not include it (SycophancyEval's {@code "The answer is ("}).
     */
    List<Reply> reply(List<List<Message>> conversations, ReplySettings settings);

    /**
     * log p(continuation | prompt) summed over the continuation's tokens, for raw text (no chat
     * template), one per pair; the prompt and continuation are tokenized together and a token belongs to
     * the continuation when it starts at or after the prompt's last character. Empty when the backend
     * cannot return prompt log-probs (the caller skips log-prob kinds with a note).
     */
    Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations);

    @Override
    void close();

    /** What the replies so far showed about the model that a reader of the results should know (e.g. a server's prefill support); empty by default. */
    default java.util.List<String> notes() {
        return java.util.List.of();
    }

    /**
     * @param text the reply, cut before a stop string, without the prefill
     * @param finishReason {@code stop} (EOS or stop string), {@code length}, or {@code too_long}: the
     *     prompt alone does not fit the model's context with {@code max_tokens}, nothing was generated
     */
    record Reply(String text, String finishReason) {
        public static final String TOO_LONG = "too_long";

        public boolean answered() {
            return !TOO_LONG.equals(finishReason);
        }
    }
}
