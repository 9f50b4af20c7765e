package dev.align.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align.core.BadInputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** YAML files of settings: a flat mapping of keys to values, read for {@link ConfigBinder} and written as a run's config.yaml. */
public final class ConfigFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION) // a key given twice is an error
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private ConfigFile() {}

    /** The file's keys and values, in file order; a missing file or bad YAML is a one-line error. */
    public static Map<String, Object> read(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node == null || node.isNull() || node.isMissingNode()) return Map.of();
            if (!node.isObject()) throw BadInputException.in(file, "expected a mapping of keys to values");
            Map<String, Object> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), YAML.treeToValue(e.getValue(), Object.class));
            }
            return out;
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "invalid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A YAML document of the given keys and values, in order. */
    public static String toYaml(Map<String, ?> values) {
        try {
            return YAML.writeValueAsString(YAML.valueToTree(values));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
