package dev.align.core.rollout;

import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.util.List;

/**
 * The text a chat model continues, and its ids: the conversation rendered with the model's chat template
 * and a generation prompt. A trailing assistant message is a prefill the reply continues (SycophancyEval's
 * {@code "The answer is ("}; vLLM's and transformers' {@code continue_final_message}): the turns before it
 * are rendered with a generation prompt and its content is appended, so the reply starts right after it.
 * Every in-process reply ({@code LocalModel}) and every {@code align serve} chat request renders here.
 */
public final class ChatPrompt {
    private ChatPrompt() {}

    /** The rendered text: a trailing assistant message is a prefill, any other conversation gets a generation prompt. */
    public static String render(Tokenizer tokenizer, List<Message> conversation) {
        boolean prefill = !conversation.isEmpty() && conversation.get(conversation.size() - 1).role().equals("assistant");
        return render(tokenizer, conversation, !prefill, prefill);
    }

    /**
     * The rendered text under OpenAI-server flags.
     *
     * @param addGenerationPrompt end with the template's assistant header ({@code add_generation_prompt})
     * @param continueFinalMessage the last message is an assistant prefill the reply continues
     *     ({@code continue_final_message}); excludes {@code addGenerationPrompt}
     * @throws IllegalArgumentException for an empty conversation, both flags, or a prefill that is not an
     *     assistant message
     */
    public static String render(Tokenizer tokenizer, List<Message> conversation, boolean addGenerationPrompt,
            boolean continueFinalMessage) {
        if (conversation.isEmpty()) throw new IllegalArgumentException("empty conversation");
        if (!continueFinalMessage) return tokenizer.chatTemplate().render(conversation, addGenerationPrompt);
        if (addGenerationPrompt) {
            throw new IllegalArgumentException("continue_final_message and add_generation_prompt cannot both be true");
        }
        Message last = conversation.get(conversation.size() - 1);
        if (!last.role().equals("assistant")) {
            throw new IllegalArgumentException("continue_final_message needs a final assistant message, got role '"
                    + last.role() + "'");
        }
        return tokenizer.chatTemplate().render(conversation.subList(0, conversation.size() - 1), true) + last.content();
    }

    /** The prompt's ids: the rendered text encoded once, its special tokens written by the template (no BOS added). */
    public static int[] ids(Tokenizer tokenizer, List<Message> conversation) {
        return tokenizer.encode(render(tokenizer, conversation), false);
    }
}
