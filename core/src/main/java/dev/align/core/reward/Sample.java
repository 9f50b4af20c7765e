package dev.align.core.reward;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
import java.util.Map;

/**
 * One (prompt, completion) pair to reward, as GRPO/RLOO and PPO hold it after generation.
 *
 * @param prompt the prompt as the policy saw it (a chat prompt rendered by the policy's template)
 * @param completion the generated completion, decoded (without special tokens)
 * @param promptIds the prompt's token ids under the policy's tokenizer, or null when only text is known
 * @param completionIds the completion's token ids (as generated, an eos included), or null
 * @param fields the data row's other columns as text (e.g. {@code answer}, {@code verifier}), as TRL passes
 *     dataset columns to reward functions; a nested value is its compact JSON
 * @param promptMessages a chat prompt's messages (before any template), or null for a plain-text prompt;
 *     a reward model renders them with its own chat template, as it was trained
 */
public record Sample(String prompt, String completion, int[] promptIds, int[] completionIds, Map<String, String> fields,
        List<Message> promptMessages) {
    public Sample {
        fields = fields == null ? Map.of() : Map.copyOf(fields);
        promptMessages = promptMessages == null ? null : List.copyOf(promptMessages);
    }

    /** A pair with a plain-text prompt. */
    public Sample(String prompt, String completion, int[] promptIds, int[] completionIds, Map<String, String> fields) {
        this(prompt, completion, promptIds, completionIds, fields, null);
    }

    /** A pair known only as text. */
    public static Sample ofText(String prompt, String completion, Map<String, String> fields) {
        return new Sample(prompt, completion, null, null, fields);
    }

    /** A column of the data row, or null. */
    public String field(String name) {
        return fields.get(name);
    }

    /** Whether the token ids are known. */
    public boolean hasIds() {
        return promptIds != null && completionIds != null;
    }

    /** Whether the prompt is a chat conversation ({@link #promptMessages} known). */
    public boolean conversational() {
        return promptMessages != null;
    }
}
