package dev.align.datasets.constitution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align.core.BadInputException;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A written set of principles for critique, revision and AI feedback (Bai et al. 2022, Constitutional AI), read from
 * YAML:
 *
 * <pre>{@code
 * name: honesty                   # required
 * description: ...                # optional
 * principles:                     # required, not empty
 *   - id: keep-correct-answer     # required, unique
 *     critique: "..."             # the critique request
 *     revision: "..."             # the revision request
 *     preference: "..."           # the multiple-choice question for AI feedback
 *     examples:                   # optional few-shot critique/revision demonstrations
 *       - prompt: "..."           # a string (one user turn) or [{role, content}, ...] ending with a user turn
 *         response: "..."
 *         critique: "..."
 *         revision: "..."
 *     preference_examples:        # optional few-shot feedback demonstrations
 *       - prompt: ...
 *         a: "..."
 *         b: "..."
 *         answer: A               # A or B
 * }</pre>
 *
 * Two ship with align ({@code constitutions/honesty.yaml}, aimed at sycophancy, and {@code harmless.yaml}) and load by
 * name. Every problem is one line naming the file and the key ({@code x.yaml: principles[2].critique: missing}).
 *
 * @param source the file it was read from (or {@code bundled:NAME})
 */
public record Constitution(String name, String source, List<Principle> principles) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final List<String> BUNDLED = List.of("harmless", "honesty");

    public Constitution {
        principles = List.copyOf(principles);
    }

    /** An existing file path, else a bundled name ("honesty", "harmless"); otherwise a one-line error. */
    public static Constitution load(String pathOrName) {
        Path file = Path.of(pathOrName);
        if (Files.isRegularFile(file)) {
            try {
                return parse(Files.readString(file, StandardCharsets.UTF_8), pathOrName);
            } catch (IOException e) {
                throw BadInputException.in(file, "cannot read: " + e.getMessage());
            }
        }
        if (BUNDLED.contains(pathOrName)) {
            try (InputStream in = Constitution.class.getResourceAsStream("/constitutions/" + pathOrName + ".yaml")) {
                if (in == null) throw new IllegalStateException("bundled constitution " + pathOrName + " missing from the jar");
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "constitutions/" + pathOrName + ".yaml");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new BadInputException("constitution '" + pathOrName + "': no such file, and not a bundled constitution ("
                + String.join(", ", BUNDLED) + ")");
    }

    /** The bundled names, sorted. */
    public static List<String> bundled() {
        return BUNDLED;
    }

    /** The principle with this id. */
    public Principle principle(String id) {
        return principles.stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("constitution '" + name + "' has no principle '" + id + "'"));
    }

    /** Parses YAML text; {@code source} names the file in errors. */
    public static Constitution parse(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
            throw new BadInputException(source + ": " + where + "invalid YAML: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        Keys top = new Keys(source, "", root, Set.of("name", "description", "principles"));
        String name = top.string("name", true);
        top.string("description", false);
        JsonNode list = top.list("principles", true);
        if (list.isEmpty()) throw top.bad("principles", "empty: a constitution needs at least one principle");
        List<Principle> principles = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Keys p = new Keys(source, "principles[" + i + "].", list.get(i),
                    Set.of("id", "critique", "revision", "preference", "examples", "preference_examples"));
            String id = p.string("id", true);
            if (!ids.add(id)) throw p.bad("id", "duplicate id '" + id + "'");
            List<CritiqueExample> examples = new ArrayList<>();
            JsonNode ex = p.list("examples", false);
            for (int j = 0; ex != null && j < ex.size(); j++) {
                Keys e = new Keys(source, p.prefix + "examples[" + j + "].", ex.get(j), Set.of("prompt", "response", "critique", "revision"));
                examples.add(new CritiqueExample(e.prompt("prompt"), e.string("response", true), e.string("critique", true),
                        e.string("revision", true)));
            }
            List<PreferenceExample> preferenceExamples = new ArrayList<>();
            JsonNode pex = p.list("preference_examples", false);
            for (int j = 0; pex != null && j < pex.size(); j++) {
                Keys e = new Keys(source, p.prefix + "preference_examples[" + j + "].", pex.get(j), Set.of("prompt", "a", "b", "answer"));
                List<Message> prompt = e.prompt("prompt");
                String a = e.string("a", true), b = e.string("b", true), answer = e.string("answer", true);
                if (!answer.equals("A") && !answer.equals("B")) throw e.bad("answer", "expected A or B, got '" + answer + "'");
                preferenceExamples.add(new PreferenceExample(prompt, a, b, answer));
            }
            principles.add(new Principle(id, p.string("critique", true), p.string("revision", true), p.string("preference", true),
                    List.copyOf(examples), List.copyOf(preferenceExamples)));
        }
        return new Constitution(name, source, principles);
    }

    /** A mapping's keys, read with one-line errors naming {@code source: prefix + key}. */
    private static final class Keys {
        final String source, prefix;
        final JsonNode node;

        Keys(String source, String prefix, JsonNode node, Set<String> allowed) {
            this.source = source;
            this.prefix = prefix;
            this.node = node;
            String self = prefix.isEmpty() ? "the file" : prefix.substring(0, prefix.length() - 1);
            if (node == null || !node.isObject()) throw new BadInputException(source + ": " + self + ": expected a mapping of keys");
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw bad(k, "unknown key (expected one of " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }

        BadInputException bad(String key, String problem) {
            return new BadInputException(source + ": " + prefix + key + ": " + problem);
        }

        String string(String key, boolean required) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                if (required) throw bad(key, "missing");
                return null;
            }
            if (!v.isTextual()) throw bad(key, "expected text, got " + kind(v));
            if (v.asText().isBlank()) throw bad(key, "blank");
            return v.asText();
        }

        JsonNode list(String key, boolean required) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                if (required) throw bad(key, "missing");
                return null;
            }
            if (!v.isArray()) throw bad(key, "expected a list, got " + kind(v));
            return v;
        }

        /** A string (one user turn) or a list of {role, content} ending with a user turn. */
        List<Message> prompt(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) throw bad(key, "missing");
            if (v.isTextual()) {
                if (v.asText().isBlank()) throw bad(key, "blank");
                return List.of(new Message("user", v.asText()));
            }
            if (!v.isArray() || v.isEmpty()) throw bad(key, "expected text or a list of {role, content} turns, got " + kind(v));
            List<Message> turns = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                Keys t = new Keys(source, prefix + key + "[" + i + "].", v.get(i), Set.of("role", "content"));
                String role = t.string("role", true);
                if (!Set.of("system", "user", "assistant").contains(role)) {
                    throw t.bad("role", "expected system, user or assistant, got '" + role + "'");
                }
                turns.add(new Message(role, t.string("content", true)));
            }
            if (!turns.get(turns.size() - 1).role().equals("user")) throw bad(key, "the last turn must be the user's");
            return List.copyOf(turns);
        }

        private static String kind(JsonNode v) {
            return v.isNumber() ? "a number" : v.isBoolean() ? "a boolean" : v.isArray() ? "a list" : v.isObject() ? "a mapping" : "text";
        }
    }
}
