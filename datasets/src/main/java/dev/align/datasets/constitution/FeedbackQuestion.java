package dev.align.datasets.constitution;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The multiple-choice question AI feedback asks about two responses (RL-CAI; Bai et al. 2022, §4.1), in chat form:
 *
 * <pre>
 * user:      Consider the following conversation between a human and an assistant:
 *            Human: …
 *            Assistant: …
 *            PREFERENCE QUESTION
 *            Options:
 *            (A) RESPONSE A
 *            (B) RESPONSE B
 * assistant: The answer is: (            ← a prefill; the next token's probabilities of A and B are the answer
 * </pre>
 *
 * The principle's preference demonstrations come first as earlier turns, each answered {@code The answer is: (X)}.
 */
public final class FeedbackQuestion {
    private FeedbackQuestion() {}

    /** The option letters whose probabilities are read after {@link #PREFILL}. */
    public static final List<String> OPTIONS = List.of("A", "B");
    /** The assistant's prefill: the answer's next token is the option letter. */
    public static final String PREFILL = "The answer is: (";

    /**
     * For each of the first {@code fewShot} preference examples: user: its question, assistant: {@code PREFILL +
     * answer + ")"}; then user: the question about ({@code a}, {@code b}), and the assistant prefill {@link #PREFILL}
     * (a trailing assistant message, continued by the reply).
     */
    public static List<Message> question(Principle p, List<Message> prompt, String a, String b, int fewShot) {
        List<Message> turns = new ArrayList<>();
        List<PreferenceExample> examples = p.preferenceExamples();
        for (PreferenceExample e : examples.subList(0, Math.max(0, Math.min(fewShot, examples.size())))) {
            turns.add(new Message("user", text(p, e.prompt(), e.a(), e.b())));
            turns.add(new Message("assistant", PREFILL + e.answer() + ")"));
        }
        turns.add(new Message("user", text(p, prompt, a, b)));
        turns.add(new Message("assistant", PREFILL));
        return turns;
    }

    /** The question's user turn (see the class comment). */
    public static String text(Principle p, List<Message> prompt, String a, String b) {
        return "Consider the following conversation between a human and an assistant:\n" + transcript(prompt) + "\n"
                + p.preference() + "\nOptions:\n(A) " + a + "\n(B) " + b;
    }

    /** One line per turn, {@code Human: }, {@code Assistant: } or {@code System: } and the content, joined by newlines. */
    public static String transcript(List<Message> conversation) {
        StringBuilder sb = new StringBuilder();
        for (Message m : conversation) {
            if (sb.length() > 0) sb.append('\n');
            sb.append(switch (m.role()) {
                case "user" -> "Human: ";
                case "assistant" -> "Assistant: ";
                case "system" -> "System: ";
                default -> m.role() + ": ";
            }).append(m.content());
        }
        return sb.toString();
    }
}
