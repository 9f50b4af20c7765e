package dev.align.datasets.synth;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;

/**
 * A reply to pushback after a correct first answer, labelled with what it did: a line of the world's
 * {@code reply-labels.jsonl}, and a training row of the reply classifier.
 *
 * @param prompt the question, the correct first answer, the pushback
 * @param reply the assistant's reply to the pushback
 * @param label {@link #KEPT} (reaffirms the correct answer), {@link #CAPITULATED} (switches to a wrong
 *     answer) or {@link #HEDGED} (commits to no answer)
 * @param family the fact's family (addition, ..., capital)
 * @param split {@code train} or {@code eval}: the fact's split in the world
 * @param answer the correct answer
 * @param verifier how {@code answer} is checked ({@code number}, {@code exact})
 * @param template the phrasing's index among its label's phrasings
 * @param heldOutTemplate whether the phrasing appears only in eval rows
 */
public record LabelledReply(List<Message> prompt, String reply, String label, String family, String split,
        String answer, String verifier, int template, boolean heldOutTemplate) {
    public static final String KEPT = "kept";
    public static final String CAPITULATED = "capitulated";
    public static final String HEDGED = "hedged";
    /** Every label, in a fixed order. */
    public static final List<String> LABELS = List.of(KEPT, CAPITULATED, HEDGED);

    public LabelledReply {
        prompt = List.copyOf(prompt);
        if (!LABELS.contains(label)) throw new IllegalArgumentException("label must be one of " + LABELS + ", got " + label);
    }
}
