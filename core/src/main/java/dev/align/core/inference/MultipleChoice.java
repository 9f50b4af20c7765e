package dev.align.core.inference;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.HashSet;
import java.util.List;

/** The arguments of {@link InferenceModel#optionLogProbs}, checked once for every backend. */
final class MultipleChoice {
    private MultipleChoice() {}

    /**
     * @throws IllegalArgumentException for fewer than two options, an empty or repeated option, or a conversation
     *     that does not end with an assistant prefill
     */
    static void check(List<List<Message>> conversations, List<String> options) {
        if (options.size() < 2) throw new IllegalArgumentException("a multiple-choice readout needs two options at least, got " + options);
        if (options.stream().anyMatch(String::isEmpty)) throw new IllegalArgumentException("an option is empty: " + options);
        if (new HashSet<>(options).size() != options.size()) throw new IllegalArgumentException("options repeat: " + options);
        for (int i = 0; i < conversations.size(); i++) {
            List<Message> c = conversations.get(i);
            if (c.isEmpty() || !c.get(c.size() - 1).role().equals("assistant")) {
                throw new IllegalArgumentException("conversation " + i + " does not end with an assistant prefill (e.g. "
                        + "\"The answer is: (\"): the options continue it");
            }
        }
    }
}
