package dev.align.datasets;

import dev.align.core.BadInputException;
import dev.align.core.tokenizer.ChatTemplate;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns examples into token ids and loss masks, as TRL's trainers do: language modelling trains on
 * every token; prompt/completion (SFT, and each side of a DPO or reward-model pair) trains on the
 * completion only (unless {@code lossOnPrompt}); {@code messages} conversations train on every
 * assistant turn, found by rendering the chat template incrementally.
 *
 * <p><b>One pass.</b> The whole rendered text (prompt + completion, or the whole conversation) is
 * tokenized once, exactly as inference would tokenize it, and the loss mask is derived from each
 * token's character span. Tokenizing pieces separately would put token sequences in training that
 * inference never produces (a SentencePiece tokenizer prepends "▁" to every piece).
 *
 * <p><b>Boundary rule.</b> A token is trained when any of its characters lies in a trained range (a
 * completion, an assistant turn), as TRL's assistant mask marks every token from the one holding a
 * turn's first character to the one holding its last. A token that straddles the end of the prompt
 * (GPT-2's " 4" after a prompt that ends in a space) is therefore a completion token: trained, and
 * not counted in {@link TokenizedExample#promptLength()}. Tokens without characters of their own (the
 * BOS the tokenizer adds) are never trained; the EOS appended to a plain completion always is (it is
 * appended only when the text does not already end with an EOS token, as TRL does). The
 * first token is never trained (nothing predicts it).
 *
 * <p><b>Prompts as generated from.</b> A plain prompt is its text with the tokenizer's special tokens
 * (BOS); a chat prompt is the template rendered with its generation prompt, which places BOS
 * itself. {@link #promptIds} gives exactly these ids, so a rollout engine feeds the model what
 * training conditions on; without a straddling token they equal the first {@code promptLength} ids.
 *
 * <p><b>Truncation</b>, as TRL: {@code max_prompt_length} (optional) keeps the END of an over-long
 * prompt (the first tokens are cut, BOS included); then {@code max_length} keeps the START of the
 * sequence ({@code truncation_mode="keep_start"}), cutting the completion's end. Trainers decide what
 * to drop: DPO drops a pair whose prompt fills max_length, reward modelling drops rows over it.
 */
public final class ExampleEncoder {
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final boolean lossOnPrompt;
    private final Integer maxPromptLength;

    public ExampleEncoder(Tokenizer tokenizer, int maxLength, boolean lossOnPrompt) {
        this(tokenizer, maxLength, lossOnPrompt, null);
    }

    /** @param maxPromptLength prompts longer than this keep their last tokens; null: prompts are not cut */
    public ExampleEncoder(Tokenizer tokenizer, int maxLength, boolean lossOnPrompt, Integer maxPromptLength) {
        if (maxPromptLength != null && maxPromptLength < 1) {
            throw new IllegalArgumentException("max_prompt_length must be >= 1, got " + maxPromptLength);
        }
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.lossOnPrompt = lossOnPrompt;
        this.maxPromptLength = maxPromptLength;
    }

    /**
     * Text to tokenize once.
     *
     * @param trained character ranges [start, end) whose tokens are trained
     * @param promptEnd where the prompt ends (a character index), or -1 when there is no separate prompt
     */
    private record Rendered(String text, List<int[]> trained, int promptEnd, boolean addSpecialTokens,
            boolean appendEos) {}

    public TokenizedExample encode(Example example) {
        if (example instanceof Example.Text t) {
            return build(new Rendered(t.text(), List.of(new int[] {0, t.text().length()}), -1, true, true));
        }
        if (example instanceof Example.PromptCompletion pc) return promptCompletion(pc.prompt(), pc.completion());
        if (example instanceof Example.Conversation c) return build(conversation(c.messages()));
        throw new IllegalArgumentException("cannot encode " + example.getClass().getSimpleName() + " for SFT");
    }

    /** Prompt then response, e.g. one side of a preference pair; the response is trained. */
    public TokenizedExample promptCompletion(Example.Turns prompt, Example.Turns completion) {
        if (!prompt.conversational() && !completion.conversational()) {
            String text = prompt.text() + completion.text();
            int end = prompt.text().length();
            return build(new Rendered(text, List.of(new int[] {lossOnPrompt ? 0 : end, text.length()}), end, true, true));
        }
        List<Message> p = prompt.conversational() ? prompt.messages() : List.of(new Message("user", prompt.text()));
        List<Message> all = new ArrayList<>(p);
        all.addAll(completion.conversational() ? completion.messages()
                : List.of(new Message("assistant", completion.text())));
        ChatTemplate template = tokenizer.chatTemplate();
        String full = template.render(all, false);
        String promptText = template.render(p, true);
        if (!full.startsWith(promptText)) throw notIncremental();
        int end = promptText.length();
        return build(new Rendered(full, List.of(new int[] {lossOnPrompt ? 0 : end, full.length()}), end, false, false));
    }

    /**
     * The ids a generator feeds the model for this prompt, as training conditions on it: a plain
     * prompt with the tokenizer's special tokens (BOS), a chat prompt rendered with the template's
     * generation prompt; the last max_prompt_length tokens when it is longer.
     */
    public int[] promptIds(Example.Turns prompt) {
        int[] ids = prompt.conversational()
                ? tokenizer.encode(tokenizer.chatTemplate().render(prompt.messages(), true), false)
                : tokenizer.encode(prompt.text(), true);
        if (maxPromptLength == null || ids.length <= maxPromptLength) return ids;
        return Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
    }

    /** A rendered conversation; assistant turns (and what closes them) are trained. */
    private Rendered conversation(List<Message> messages) {
        ChatTemplate template = tokenizer.chatTemplate();
        String full = template.render(messages, false);
        List<int[]> trained = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) continue;
            String before = template.render(messages.subList(0, i), true);
            String through = template.render(messages.subList(0, i + 1), false);
            if (!full.startsWith(before) || !full.startsWith(through) || before.length() < done) throw notIncremental();
            trained.add(new int[] {before.length(), through.length()});
            done = through.length();
        }
        if (lossOnPrompt) trained = List.of(new int[] {0, full.length()});
        return new Rendered(full, trained, -1, false, false);
    }

    private static BadInputException notIncremental() {
        return new BadInputException("chat template: rendering is not incremental (a conversation's prefix does "
                + "not render as a prefix), so assistant turns cannot be masked");
    }

    private TokenizedExample build(Rendered r) {
        Tokenizer.Spans spans = tokenizer.encodeWithSpans(r.text(), r.addSpecialTokens());
        boolean appendEos = r.appendEos() && !endsWithEos(spans); // as TRL: one EOS, also after "...</s>"
        int n = spans.length() + (appendEos ? 1 : 0);
        int[] ids = new int[n];
        boolean[] loss = new boolean[n];
        int prompt = 0;
        boolean inPrompt = r.promptEnd() >= 0;
        for (int t = 0; t < spans.length(); t++) {
            ids[t] = spans.ids()[t];
            loss[t] = overlapsAny(r.trained(), spans.start()[t], spans.end()[t]);
            inPrompt &= spans.end()[t] <= r.promptEnd(); // a token without characters (BOS) has end −1
            if (inPrompt) prompt++;
        }
        if (appendEos) {
            ids[n - 1] = tokenizer.eosIds()[0];
            loss[n - 1] = true;
        }
        boolean promptTruncated = maxPromptLength != null && prompt > maxPromptLength;
        int from = promptTruncated ? prompt - maxPromptLength : 0; // keep the prompt's end
        int to = (int) Math.min(n, (long) from + maxLength); // keep the sequence's start (max_length may be MAX_VALUE)
        int[] keptIds = Arrays.copyOfRange(ids, from, to);
        boolean[] keptLoss = Arrays.copyOfRange(loss, from, to);
        if (keptLoss.length > 0) keptLoss[0] = false; // the first token is never predicted
        int keptPrompt = Math.min(prompt - from, to - from);
        return new TokenizedExample(keptIds, keptLoss, keptPrompt, promptTruncated, n - from > maxLength);
    }

    private boolean endsWithEos(Tokenizer.Spans spans) {
        if (spans.length() == 0) return false;
        int last = spans.ids()[spans.length() - 1];
        for (int eos : tokenizer.eosIds()) if (eos == last) return true;
        return false;
    }

    /** Whether characters [start, end) meet any of the ranges; a token without characters meets none. */
    private static boolean overlapsAny(List<int[]> ranges, int start, int end) {
        if (start < 0 || end <= start) return false;
        for (int[] range : ranges) {
            if (start < range[1] && end > range[0]) return true;
        }
        return false;
    }
}
