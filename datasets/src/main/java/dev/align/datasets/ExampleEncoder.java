package dev.align.datasets;

import dev.align.core.BadInputException;
import dev.align.core.tokenizer.ChatTemplate;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns examples into token ids and loss masks, as TRL's SFTTrainer does: language modelling trains
 * on every token; prompt/completion trains on the completion only (unless {@code lossOnPrompt});
 * conversations train on every assistant turn, found by rendering the chat template incrementally.
 */
public final class ExampleEncoder {
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final boolean lossOnPrompt;

    public ExampleEncoder(Tokenizer tokenizer, int maxLength, boolean lossOnPrompt) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.lossOnPrompt = lossOnPrompt;
    }

    /** A text segment and whether its tokens are trained. */
    private record Piece(String text, boolean trained) {}

    public TokenizedExample encode(Example example) {
        if (example instanceof Example.Text t) return build(List.of(new Piece(t.text(), true)), true, true);
        if (example instanceof Example.PromptCompletion pc) return promptCompletion(pc.prompt(), pc.completion());
        if (example instanceof Example.Conversation c) return build(conversation(c.messages()), false, false);
        throw new IllegalArgumentException("cannot encode " + example.getClass().getSimpleName() + " for SFT");
    }

    /** Prompt then response, e.g. one side of a preference pair; the response is trained. */
    public TokenizedExample promptCompletion(Example.Turns prompt, Example.Turns completion) {
        if (prompt.conversational() || completion.conversational()) {
            List<Message> p = prompt.conversational() ? prompt.messages() : List.of(new Message("user", prompt.text()));
            List<Message> all = new ArrayList<>(p);
            all.addAll(completion.conversational() ? completion.messages()
                    : List.of(new Message("assistant", completion.text())));
            return build(conversation(all), false, false);
        }
        return build(List.of(new Piece(prompt.text(), lossOnPrompt), new Piece(completion.text(), true)), true, true);
    }

    /** Splits a rendered conversation into pieces; assistant turns (and what closes them) are trained. */
    private List<Piece> conversation(List<Message> messages) {
        ChatTemplate template = tokenizer.chatTemplate();
        String full = template.render(messages, false);
        List<Piece> pieces = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) continue;
            String before = template.render(messages.subList(0, i), true);
            String through = template.render(messages.subList(0, i + 1), false);
            if (!full.startsWith(before) || !full.startsWith(through) || before.length() < done) {
                throw new BadInputException("chat template: rendering is not incremental (a conversation's prefix does "
                        + "not render as a prefix), so assistant turns cannot be masked");
            }
            pieces.add(new Piece(full.substring(done, before.length()), lossOnPrompt));
            pieces.add(new Piece(full.substring(before.length(), through.length()), true));
            done = through.length();
        }
        if (done < full.length()) pieces.add(new Piece(full.substring(done), lossOnPrompt));
        return pieces;
    }

    private TokenizedExample build(List<Piece> pieces, boolean addSpecial, boolean appendEos) {
        List<Integer> ids = new ArrayList<>();
        List<Boolean> loss = new ArrayList<>();
        boolean first = true;
        boolean lastTrained = false;
        for (Piece p : pieces) {
            if (p.text().isEmpty()) continue;
            for (int id : tokenizer.encode(p.text(), addSpecial && first)) {
                ids.add(id);
                loss.add(p.trained());
            }
            first = false;
            lastTrained = p.trained();
        }
        if (appendEos) {
            ids.add(tokenizer.eosIds()[0]);
            loss.add(lastTrained);
        }
        boolean truncated = ids.size() > maxLength;
        int n = Math.min(ids.size(), maxLength);
        int[] idArray = new int[n];
        boolean[] lossArray = new boolean[n];
        for (int i = 0; i < n; i++) {
            idArray[i] = ids.get(i);
            lossArray[i] = loss.get(i);
        }
        lossArray[0] = false; // the first token is never predicted
        return new TokenizedExample(idArray, lossArray, truncated);
    }
}
