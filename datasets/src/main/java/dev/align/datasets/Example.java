package dev.align.datasets;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;

/** One training record, in one of TRL's dataset formats. */
public sealed interface Example {

    /** A prompt or a response: plain text, or a conversation (TRL's conversational form). */
    record Turns(String text, List<Message> messages) {
        public static Turns of(String text) {
            return new Turns(text, null);
        }

        public static Turns of(List<Message> messages) {
            return new Turns(null, List.copyOf(messages));
        }

        public boolean conversational() {
            return messages != null;
        }
    }

    /** Language modelling: {@code {"text": ...}} or a line of a .txt file. */
    record Text(String text) implements Example {}

    /** SFT: {@code {"prompt": ..., "completion": ...}}, each a string or a message list. */
    record PromptCompletion(Turns prompt, Turns completion) implements Example {}

    /** SFT: {@code {"messages": [{"role": ..., "content": ...}, ...]}}. */
    record Conversation(List<Message> messages) implements Example {}

    /**
     * Preference: {@code {"prompt", "chosen", "rejected", "margin"?, "label"?}}.
     *
     * @param margin the reward gap a reward model must clear (TRL's {@code margin}); 0 when the row has none
     * @param label the probability that {@code chosen} is better than {@code rejected} (AI feedback's soft
     *     label, in [0, 1]); {@link Double#NaN} when the row has none
     */
    record Preference(Turns prompt, Turns chosen, Turns rejected, double margin, double label) implements Example {
        /** Whether the row carries a soft {@code label}. */
        public boolean hasLabel() {
            return !Double.isNaN(label);
        }
    }

    /**
     * Ranked comparisons: {@code responses} with a {@code ranking} (indices best → worst) or {@code
     * scores} (higher is better, ties allowed). {@code scores} is always filled: a ranking becomes
     * descending integer scores.
     */
    record Ranked(Turns prompt, List<Turns> responses, double[] scores) implements Example {}

    /**
     * A prompt for an online method (PPO, GRPO, RLOO, constitutional AI): {@code {"prompt", ...}}, TRL's prompt-only
     * format; the row's other columns are kept as text for reward functions ({@link PromptDataset}).
     */
    record Prompt(Turns prompt) implements Example {}

    /** Verifiable: {@code {"prompt", "answer", "verifier"}}; verifier is number, choice, exact or regex:PATTERN. */
    record Verifiable(Turns prompt, String answer, String verifier) implements Example {}
}
