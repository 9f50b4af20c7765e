package dev.align.constitutional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.Format;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One row of a stage's input: its prompt as a conversation ending with a user turn (a plain-text prompt becomes one
 * user turn, rendered later with the model's chat template, as the responses are sampled), its other columns (kept in
 * the output: {@code answer}, {@code verifier}, {@code kind}, ...), and, in a preference file, the given pair.
 *
 * @param line the row's 1-based line in its file
 * @param columns the row's columns other than the prompt and the pair
 * @param chosen the given chosen response, or null (a prompt-only row)
 * @param rejected the given rejected response, or null
 */
public record PromptRow(long line, List<Message> prompt, ObjectNode columns, String chosen, String rejected) {
    /** Columns that describe the given pair's order: not carried over once AI feedback has ordered it again. */
    static final Set<String> PAIR_COLUMNS = Set.of("prompt", "chosen", "rejected", "label", "margin", "chosen_is_correct",
            "messages", "completion");

    public boolean hasPair() {
        return chosen != null;
    }

    /**
     * The rows of a prompts file: any JSONL whose rows have a {@code prompt} (a prompt-only, SFT, verifiable or
     * preference file). With {@code pairs}, a preference file's {@code chosen} and {@code rejected} come along.
     */
    public static List<PromptRow> read(Path file, boolean pairs, boolean skipBadLines) {
        Format format = Format.of(file, Format.PROMPT, Format.PREFERENCE, Format.VERIFIABLE, Format.SFT);
        boolean withPairs = pairs && format == Format.PREFERENCE;
        List<PromptRow> rows = new ArrayList<>();
        try (Dataset data = Dataset.open(file, withPairs ? Format.PREFERENCE : Format.PROMPT, skipBadLines)) {
            for (int i = 0; i < data.size(); i++) {
                long line = data.lineNumber(i);
                Example e = data.get(i);
                Example.Turns prompt = e instanceof Example.Preference p ? p.prompt() : ((Example.Prompt) e).prompt();
                List<Message> conversation = prompt.conversational() ? prompt.messages() : List.of(new Message("user", prompt.text()));
                if (!conversation.get(conversation.size() - 1).role().equals("user")) {
                    throw BadInputException.at(file, line, "prompt", "the conversation must end with a user turn (the reply to "
                            + "critique or compare answers it)");
                }
                ObjectNode columns;
                try {
                    columns = (ObjectNode) Json.MAPPER.readTree(data.line(i));
                } catch (java.io.IOException ex) {
                    throw BadInputException.at(file, line, null, "invalid JSON");
                }
                for (String c : PAIR_COLUMNS) columns.remove(c);
                String chosen = null, rejected = null;
                if (e instanceof Example.Preference p && withPairs) {
                    chosen = reply(p.chosen(), file, line, "chosen");
                    rejected = reply(p.rejected(), file, line, "rejected");
                }
                rows.add(new PromptRow(line, List.copyOf(conversation), columns, chosen, rejected));
            }
        }
        return rows;
    }

    /** A response's text: a string, or a conversational response's one assistant turn. */
    private static String reply(Example.Turns t, Path file, long line, String field) {
        if (!t.conversational()) return t.text();
        List<Message> m = t.messages();
        if (m.size() != 1 || !m.get(0).role().equals("assistant")) {
            throw BadInputException.at(file, line, field, "expected one assistant turn, got " + m.size() + " turns");
        }
        return m.get(0).content();
    }

    /** The prompt as JSON messages. */
    public com.fasterxml.jackson.databind.node.ArrayNode promptJson() {
        return messages(prompt);
    }

    static com.fasterxml.jackson.databind.node.ArrayNode messages(List<Message> turns) {
        var a = Json.MAPPER.createArrayNode();
        for (Message m : turns) a.addObject().put("role", m.role()).put("content", m.content());
        return a;
    }

    /** One assistant turn, TRL's conversational response. */
    static com.fasterxml.jackson.databind.node.ArrayNode assistant(String content) {
        return messages(List.of(new Message("assistant", content)));
    }

    /** A column's value as text, or null. */
    public String column(String name) {
        JsonNode v = columns.get(name);
        return v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.toString();
    }
}
