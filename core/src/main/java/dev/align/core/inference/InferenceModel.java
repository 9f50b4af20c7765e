package dev.align.core.inference;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
import java.util.Optional;

/**
 * A model one asks for replies and log-probs: a model directory run in-process ({@link LocalModel}) or an
 * OpenAI-compatible server ({@link EndpointModel}). Evals and constitutional AI read models only through this
 * interface, so a result computed in-process and through {@code align serve} are the same numbers.
 */
public interface InferenceModel extends AutoCloseable {

    /** The name reports use ({@code --model NAME=DIR}, {@code --endpoint NAME=URL}). */
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

    /**
     * Log-probs of alternative continuations of each conversation's final assistant prefill: for AI feedback's
     * multiple-choice readout (Bai et al. 2022: the normalised probabilities of "(A)" and "(B)", never sampled text).
     * Each conversation ends with an assistant message (the prefill, e.g. "The answer is: ("); result i holds, per
     * option, log p(option | conversation i) summed over the option's tokens. NaN for a conversation that does
     * not fit the model's context.
     *
     * <p>The options of one conversation are scored after one shared context, so they compare exactly
     * ({@link LocalModel}: any tokenizer, any option length); {@link EndpointModel} reads one generated position's
     * top log-probs, so there an option must be one token.
     *
     * @throws IllegalArgumentException for fewer than two options, an empty or repeated option, or a conversation
     *     without a final assistant message
     */
    List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options);

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
