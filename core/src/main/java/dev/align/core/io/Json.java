package dev.align.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The project's one JSON mapper, and reading JSON files with one-line errors. */
public final class Json {
    public static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /**
     * A parse error's message without Jackson's source excerpts: {@code "Unexpected end-of-input:
     * expected close marker for Object"}, not {@code "... (start marker at [Source: REDACTED ...])"}.
     */
    public static String problem(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) return "malformed JSON";
        int cut = m.indexOf("[Source:");
        if (cut >= 0) {
            m = m.substring(0, cut);
            int paren = m.lastIndexOf('(');
            if (paren >= 0 && m.substring(paren).matches("\\((start marker )?at\\s*")) m = m.substring(0, paren);
            m = m.replaceAll("\\s*\\bat\\s*$", "");
        }
        m = m.lines().findFirst().orElse("").strip();
        return m.isEmpty() ? "malformed JSON" : m;
    }

    public static ObjectNode readObject(Path file) {
        JsonNode node;
        try {
            node = MAPPER.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found");
        } catch (JsonProcessingException e) {
            throw BadInputException.in(
                    file, "invalid JSON at line " + e.getLocation().getLineNr() + ": " + problem(e));
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw BadInputException.in(file, "expected a JSON object");
        }
        return (ObjectNode) node;
    }

    public static String pretty(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String compact(Object value) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
