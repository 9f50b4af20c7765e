package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {

    /** examples/verify-adversarial.jsonl from the repository root, wherever the test runs. */
    static Path example() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path f = dir.resolve("examples/verify-adversarial.jsonl");
            if (Files.exists(f)) return f;
        }
        throw new AssertionError("examples/verify-adversarial.jsonl not found");
    }

    @Test
    void scoresTheAdversarialExamplesAsTheirExpectedRewardsSay(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("scored.jsonl");
        CliTest.Result r = CliTest.align("verify", "--data", example().toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> rows = Files.readAllLines(out);
        List<String> in = Files.readAllLines(example());
        assertEquals(in.size(), rows.size());
        int correct = 0;
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = Json.MAPPER.readTree(rows.get(i));
            assertEquals(row.get("expected_reward").asDouble(), row.get("reward").asDouble(),
                    "line " + (i + 1) + ": " + row.get("completion").asText() + " (" + row.get("why").asText() + ")");
            assertTrue(row.has("extracted_answer"));
            JsonNode original = Json.MAPPER.readTree(in.get(i));
            original.fieldNames().forEachRemaining(f -> assertEquals(original.get(f), row.get(f), "column " + f + " kept"));
            correct += row.get("reward").asDouble() == 1.0 ? 1 : 0;
        }
        assertEquals(27, correct);
        assertTrue(r.out().contains("accuracy all                      0.4655  (27/58)"), r.out());
        assertTrue(r.out().contains("accuracy verifier=choice          0.4167  (5/12)"), r.out());
        assertTrue(r.out().contains("accuracy verifier=regex           1.0000  (1/1)"), r.out());
        assertTrue(r.out().contains("expected_reward matched: 58 of 58 rows\n"), r.out());
        JsonNode first = Json.MAPPER.readTree(rows.get(0));
        assertEquals("7", first.get("extracted_answer").asText());
        assertTrue(Json.MAPPER.readTree(rows.get(1)).get("extracted_answer").isNull(), "a hedge extracts nothing");
    }

    @Test
    void rowsWhoseRewardDiffersFromExpectedRewardAreCounted(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("rows.jsonl");
        Files.writeString(data, "{\"completion\": \"7\", \"answer\": \"7\", \"verifier\": \"number\", \"expected_reward\": 1}\n"
                + "{\"completion\": \"8\", \"answer\": \"7\", \"verifier\": \"number\", \"expected_reward\": 1.0}\n"
                + "{\"completion\": \"9\", \"answer\": \"7\", \"verifier\": \"number\"}\n");
        CliTest.Result r = CliTest.align("verify", "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("expected_reward matched: 1 of 2 rows (1 differ)\n"), r.out());

        Files.writeString(data, "{\"completion\": \"9\", \"answer\": \"7\", \"verifier\": \"number\"}\n");
        assertFalse(CliTest.align("verify", "--data", data.toString()).out().contains("expected_reward"));
    }

    @Test
    void aBadLineNamesFileLineAndFieldExitsTwoAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("rows.jsonl");
        Path out = tmp.resolve("scored.jsonl");
        Files.writeString(data, "{\"completion\": \"7\", \"answer\": \"7\", \"verifier\": \"number\"}\n"
                + "{\"completion\": \"7\", \"answer\": \"four\", \"verifier\": \"number\"}\n");
        CliTest.Result r = CliTest.align("verify", "--data", data.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + data + ":2: field 'answer': not a number: 'four'\n", r.err());
        assertFalse(Files.exists(out), "nothing written on a bad line");
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }

        Files.writeString(data, "\n{\"answer\": \"7\"}\n");
        r = CliTest.align("verify", "--data", data.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + data + ":2: field 'completion': missing\n", r.err());

        Files.writeString(data, "{\"completion\": \"7\", \"answer\": \"7\", \"verifier\": \"vibes\"}\n");
        r = CliTest.align("verify", "--data", data.toString());
        assertEquals("error: " + data + ":1: field 'verifier': unknown verifier 'vibes' (number, choice, exact, regex:PATTERN)\n", r.err());
    }
}
