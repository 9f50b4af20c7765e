package dev.align.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.reward.Verifier;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** The dataset formats, with TRL's column names, and their line parsers. */
public enum Format {
    /** {@code {"text"}}, or plain lines of a .txt file. */
    TEXT,
    /** {@code {"prompt", "completion"}} or {@code {"messages"}}. */
    SFT,
    /** {@code {"prompt", "chosen", "rejected", "margin"?, "label"?}}; label: P(chosen better), in [0, 1]. */
    PREFERENCE,
    /** {@code {"prompt", "responses", "ranking" | "scores"}}. */
    RANKED,
    /** {@code {"prompt", "answer", "verifier"}}. */
    VERIFIABLE,
    /**
     * {@code {"prompt", ...}}: TRL's prompt-only format, any other columns allowed (so the prompts of an SFT,
     * preference or verifiable file serve too); detected only when no other format fits.
     */
    PROMPT;

    static final Set<String> ROLES = Set.of("system", "user", "assistant");

    /**
     * The format of a file, judged by the columns of its first non-blank line: {@code responses} is
     * {@link #RANKED}, {@code chosen} is {@link #PREFERENCE}, and so on; a .txt file is {@link #TEXT}.
     * A file whose first line fits none of {@code allowed} is a one-line error.
     */
    public static Format of(Path file, Format... allowed) {
        Format found = null;
        long firstLine = 1;
        if (file.toString().endsWith(".txt")) {
            found = TEXT;
        } else {
            try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(file)) {
                String line;
                long number = 0;
                while ((line = in.readLine()) != null && line.isBlank()) number++;
                if (line == null) throw BadInputException.in(file, "empty file");
                firstLine = number + 1;
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw BadInputException.at(file, number + 1, null, "invalid JSON: " + Json.problem(e));
                }
                if (node != null && node.isObject()) {
                    // the first that fits, by priority; an allowed one wins over one that is not (a row with
                    // both 'completion' and 'answer', such as cai sl's revisions, is SFT to align sft)
                    List<Format> fits = new ArrayList<>();
                    if (node.has("responses")) fits.add(RANKED);
                    if (node.has("chosen") || node.has("rejected")) fits.add(PREFERENCE);
                    if (node.has("answer")) fits.add(VERIFIABLE);
                    if (node.has("messages") || node.has("completion")) fits.add(SFT);
                    if (node.has("text")) fits.add(TEXT);
                    if (node.has("prompt")) fits.add(PROMPT);
                    found = fits.stream().filter(Arrays.asList(allowed)::contains).findFirst()
                            .orElse(fits.isEmpty() ? null : fits.get(0));
                }
            } catch (java.nio.file.NoSuchFileException e) {
                throw BadInputException.in(file, "file not found");
            } catch (java.io.IOException e) {
                throw BadInputException.in(file, "cannot read: " + e.getMessage());
            }
        }
        if (found == null || !Arrays.asList(allowed).contains(found)) {
            throw BadInputException.at(file, firstLine, null, "expected " + describe(allowed)
                    + (found == null ? "" : ", found " + found.name().toLowerCase(java.util.Locale.ROOT) + " rows"));
        }
        return found;
    }

    private static String describe(Format... formats) {
        List<String> names = new ArrayList<>();
        for (Format f : formats) names.add(f.name().toLowerCase(java.util.Locale.ROOT) + " rows");
        return String.join(" or ", names);
    }

    /** Parses one line; any problem is a {@link BadInputException} naming file, line and field. */
    public Example parse(String line, Path file, long lineNumber) {
        if (this == TEXT && file.toString().endsWith(".txt")) {
            return new Example.Text(line);
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw BadInputException.at(file, lineNumber, null, "invalid JSON: " + Json.problem(e));
        }
        if (node == null || !node.isObject()) {
            throw BadInputException.at(file, lineNumber, null, "expected a JSON object");
        }
        Fields f = new Fields(node, file, lineNumber);
        return switch (this) {
            case TEXT -> new Example.Text(f.string("text", false));
            case SFT -> {
                if (node.has("messages")) {
                    List<Message> messages = f.messages("messages");
                    if (messages.stream().noneMatch(m -> m.role().equals("assistant"))) {
                        throw f.bad("messages", "no assistant turn to learn from");
                    }
                    yield new Example.Conversation(messages);
                }
                if (!node.has("prompt") && !node.has("completion")) {
                    throw f.bad(null, "expected fields 'prompt' and 'completion', or 'messages'");
                }
                yield new Example.PromptCompletion(f.turns("prompt", true), f.turns("completion", false));
            }
            case PREFERENCE -> new Example.Preference(f.turns("prompt", true), f.turns("chosen", false),
                    f.turns("rejected", false), node.has("margin") ? f.number("margin") : 0.0,
                    node.has("label") ? f.probability("label") : Double.NaN);
            case RANKED -> ranked(f, node);
            case PROMPT -> new Example.Prompt(f.turns("prompt", false));
            case VERIFIABLE -> {
                String verifier = node.has("verifier") ? f.string("verifier", false) : "exact";
                Verifier v;
                try {
                    v = Verifier.of(verifier);
                } catch (IllegalArgumentException e) {
                    throw f.bad("verifier", e.getMessage());
                }
                String answer = f.string("answer", false);
                String problem = v.problemWith(answer);
                if (problem != null) throw f.bad("answer", problem);
                yield new Example.Verifiable(f.turns("prompt", true), answer, verifier);
            }
        };
    }

    private static Example ranked(Fields f, JsonNode node) {
        Example.Turns prompt = f.turns("prompt", true);
        JsonNode rs = node.get("responses");
        if (rs == null) throw f.bad("responses", "missing");
        if (!rs.isArray()) throw f.bad("responses", "expected a list, got " + kind(rs));
        if (rs.size() < 2) throw f.bad("responses", "need at least 2 responses to rank, got " + rs.size());
        List<Example.Turns> responses = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) responses.add(f.turnsOf(rs.get(i), "responses[" + i + "]", false));
        double[] scores = new double[rs.size()];
        if (node.has("ranking")) {
            JsonNode r = node.get("ranking");
            if (!r.isArray()) throw f.bad("ranking", "expected a list of indices, got " + kind(r));
            if (r.size() != rs.size()) {
                throw f.bad("ranking", "has " + r.size() + " entries for " + rs.size() + " responses");
            }
            boolean[] seen = new boolean[rs.size()];
            for (int pos = 0; pos < r.size(); pos++) {
                JsonNode idx = r.get(pos);
                if (!idx.isIntegralNumber() || idx.asInt() < 0 || idx.asInt() >= rs.size() || seen[idx.asInt()]) {
                    throw f.bad("ranking", "not a permutation of 0.." + (rs.size() - 1) + ": " + r);
                }
                seen[idx.asInt()] = true;
                scores[idx.asInt()] = rs.size() - pos; // best gets the highest score
            }
        } else if (node.has("scores")) {
            JsonNode s = node.get("scores");
            if (!s.isArray() || s.size() != rs.size()) {
                throw f.bad("scores", "expected a list of " + rs.size() + " numbers");
            }
            for (int i = 0; i < s.size(); i++) {
                if (!s.get(i).isNumber()) throw f.bad("scores", "entry " + i + " is not a number");
                scores[i] = s.get(i).asDouble();
            }
            if (Arrays.stream(scores).distinct().count() == 1) throw f.bad("scores", "all scores are equal: nothing to learn");
        } else {
            throw f.bad(null, "expected field 'ranking' or 'scores'");
        }
        return new Example.Ranked(prompt, responses, scores);
    }

    static String kind(JsonNode n) {
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isArray()) return "a list";
        if (n.isObject()) return "an object";
        if (n.isBoolean()) return "a boolean";
        return "null";
    }

    /** Field access with one-line errors. */
    private record Fields(JsonNode node, Path file, long line) {
        BadInputException bad(String field, String problem) {
            return BadInputException.at(file, line, field, problem);
        }

        String string(String field, boolean allowEmpty) {
            JsonNode n = node.get(field);
            if (n == null) throw bad(field, "missing");
            if (!n.isTextual()) throw bad(field, "expected a string, got " + kind(n));
            if (!allowEmpty && n.asText().isBlank()) throw bad(field, "empty");
            return n.asText();
        }

        double number(String field) {
            JsonNode n = node.get(field);
            if (n == null || !n.isNumber()) throw bad(field, "expected a number, got " + (n == null ? "nothing" : kind(n)));
            return n.asDouble();
        }

        double probability(String field) {
            double p = number(field);
            if (!(p >= 0 && p <= 1)) throw bad(field, "expected a probability in [0, 1], got " + node.get(field));
            return p;
        }

        Example.Turns turns(String field, boolean allowEmpty) {
            JsonNode n = node.get(field);
            if (n == null) throw bad(field, "missing");
            return turnsOf(n, field, allowEmpty);
        }

        Example.Turns turnsOf(JsonNode n, String field, boolean allowEmpty) {
            if (n.isTextual()) {
                if (!allowEmpty && n.asText().isBlank()) throw bad(field, "empty");
                return Example.Turns.of(n.asText());
            }
            if (n.isArray()) {
                List<Message> messages = messagesOf(n, field);
                if (!allowEmpty && messages.stream().allMatch(m -> m.content().isBlank())) throw bad(field, "empty");
                return Example.Turns.of(messages);
            }
            throw bad(field, "expected a string or a list of messages, got " + kind(n));
        }

        List<Message> messages(String field) {
            JsonNode n = node.get(field);
            if (n == null) throw bad(field, "missing");
            if (!n.isArray()) throw bad(field, "expected a list of messages, got " + kind(n));
            if (n.isEmpty()) throw bad(field, "empty");
            return messagesOf(n, field);
        }

        List<Message> messagesOf(JsonNode n, String field) {
            List<Message> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode m = n.get(i);
                String where = field + "[" + i + "]";
                if (!m.isObject()) throw bad(where, "expected an object with 'role' and 'content'");
                JsonNode role = m.get("role");
                JsonNode content = m.get("content");
                if (role == null || !role.isTextual()) throw bad(where + ".role", "missing or not a string");
                if (!ROLES.contains(role.asText())) {
                    throw bad(where + ".role", "unknown role '" + role.asText() + "' (system, user, assistant)");
                }
                if (content == null || !content.isTextual()) throw bad(where + ".content", "missing or not a string");
                if (role.asText().equals("assistant") && content.asText().isBlank()) throw bad(where + ".content", "empty");
                out.add(new Message(role.asText(), content.asText()));
            }
            return out;
        }
    }
}
