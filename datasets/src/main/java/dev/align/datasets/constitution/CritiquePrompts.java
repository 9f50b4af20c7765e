package dev.align.datasets.constitution;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The chats that ask a model to critique and then revise a response against a principle (SL-CAI; Bai et al. 2022,
 * §3.1, in chat form): the principle's few-shot demonstrations as earlier turns, then the prompt, the response, and
 * the critique request as a user turn; the revision request follows the model's critique.
 *
 * <pre>
 * [demonstration]*  user: PROMPT…  assistant: RESPONSE  user: CRITIQUE REQUEST  → critique
 *                   … assistant: CRITIQUE  user: REVISION REQUEST                 → revision
 * </pre>
 */
public final class CritiquePrompts {
    private CritiquePrompts() {}

    /**
     * Turns whose next assistant reply is the critique: for each of the first {@code fewShot} examples, its prompt
     * turns, assistant: its response, user: the critique request, assistant: its critique, user: the revision
     * request, assistant: its revision; then the prompt's turns, assistant: {@code response}, user: the critique
     * request. A {@code fewShot} beyond the principle's examples uses all of them.
     */
    public static List<Message> critique(Principle p, List<Message> prompt, String response, int fewShot) {
        List<Message> turns = new ArrayList<>();
        for (CritiqueExample e : p.examples().subList(0, Math.max(0, Math.min(fewShot, p.examples().size())))) {
            turns.addAll(e.prompt());
            turns.add(new Message("assistant", e.response()));
            turns.add(new Message("user", p.critique()));
            turns.add(new Message("assistant", e.critique()));
            turns.add(new Message("user", p.revision()));
            turns.add(new Message("assistant", e.revision()));
        }
        turns.addAll(prompt);
        turns.add(new Message("assistant", response));
        turns.add(new Message("user", p.critique()));
        return turns;
    }

    /** {@link #critique} + assistant: {@code critique} + user: the revision request; the next reply is the revision. */
    public static List<Message> revision(Principle p, List<Message> prompt, String response, String critique, int fewShot) {
        List<Message> turns = critique(p, prompt, response, fewShot);
        turns.add(new Message("assistant", critique));
        turns.add(new Message("user", p.revision()));
        return turns;
    }
}
