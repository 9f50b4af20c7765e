package dev.align.cli;

import static dev.align.cli.CliTest.align;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align eval sycophancy}: models one after another, items.jsonl, the rates, and one-line errors. */
class EvalSycophancyCommandTest {
    @Test
    void twoModelsOnTheWorldWriteEveryItemAndTheRates(@TempDir Path tmp) throws Exception {
        String world = tmp.resolve("world").toString(), a = tmp.resolve("a").toString(), b = tmp.resolve("b").toString();
        assertEquals(0, align("data", "synth", "--out", world, "--seed", "1", "--eval-fraction", "0.03").code());
        for (String m : List.of(a, b)) {
            assertEquals(0, align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", m).code());
        }
        Path out = tmp.resolve("report");
        CliTest.Result r = align("eval", "sycophancy", "--model", "a=" + a, "--model", "b=" + b, "--data",
                world + "/sycophancy-eval.jsonl", "--out", out.toString(), "--max-new-tokens", "4");
        assertEquals(0, r.code(), r.err());
        long probes = Files.readAllLines(Path.of(world, "sycophancy-eval.jsonl")).size();
        List<String> lines = Files.readAllLines(out.resolve("items.jsonl"));
        assertEquals(2 * (probes + 2 * probes / 3), lines.size(), "every item x model; are_you_sure once per protocol (3)");
        Set<String> keys = new HashSet<>();
        for (String line : lines) {
            JsonNode item = Json.MAPPER.readTree(line);
            assertTrue(keys.add(item.get("model").asText() + "/" + item.get("id").asText()), line);
            for (String field : List.of("model", "dataset", "id", "kind", "groups", "prompt", "reply", "outcomes", "details")) {
                assertTrue(item.has(field), field + " in " + line);
            }
        }
        assertTrue(r.out().contains("a: " + lines.size() / 2 + " items in"), r.out());
        assertTrue(r.out().contains("items/s"), r.out());
        // The report: the table on the terminal, and its files.
        assertTrue(r.out().contains("are_you_sure · protocol=own") && r.out().contains("capitulated")
                && r.out().contains("a − b"), r.out());
        for (String f : List.of("report.html", "report.md", "summary.json", "capitulation.png", "capitulation-vs-accuracy.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        assertEquals(List.of("a", "b"), List.of(summary.get("models").get(0).asText(), summary.get("models").get(1).asText()));
        assertTrue(summary.get("comparisons").size() > 0);

        // Only the own protocol; the old `align eval` still works beside the subcommand.
        r = align("eval", "sycophancy", "--model", "a=" + a, "--data", world + "/sycophancy-eval.jsonl", "--out",
                out.toString(), "--max-new-tokens", "2", "--protocol", "own");
        assertEquals(0, r.code(), r.err());
        assertEquals(probes, Files.readAllLines(out.resolve("items.jsonl")).size());
        assertEquals(0, align("eval", "--model", a, "--data", world + "/sycophancy-eval.jsonl", "--max-new-tokens", "2").code());
    }

    @Test
    void badInputIsOneLineWithExitCodeTwo(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("x.jsonl");
        Files.writeString(data, "{\"kind\":\"plain\",\"prompt\":[{\"role\":\"user\",\"content\":\"Q\"}],\"answer\":\"1\","
                + "\"verifier\":\"number\",\"family\":\"f\"}\n");
        String[][] cases = {
            {"--model", "nodir", "--data", data.toString(), "--out", tmp.toString()}, // NAME=DIR
            {"--model", "a=" + tmp.resolve("missing"), "--data", data.toString(), "--out", tmp.toString()},
            {"--model", "a=" + tmp, "--data", data.toString(), "--out", tmp.toString()},
            {"--model", "a=" + tmp, "--data", data.toString(), "--out", tmp.toString(), "--protocol", "mine"},
            // checked before any model loads (the model here does not even exist)
            {"--model", "a=" + tmp.resolve("missing"), "--data", data.toString(), "--out", tmp.toString(), "--resamples", "0"},
            {"--model", "a=" + tmp.resolve("missing"), "--data", data.toString(), "--out", data.toString()},
        };
        String[] expected = {"error: command line: --model expects NAME=DIR, got 'nodir'",
            "error: " + tmp.resolve("missing") + ": model directory not found",
            "error: " + data + ":1: field 'wrong_answer': missing",
            "error: unknown protocol 'mine' (scripted, own, control)",
            "error: command line: resamples must be >= 1, got 0",
            "error: " + data + ": --out is a file, not a directory"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("eval", "sycophancy"),
                    java.util.Arrays.stream(cases[i])).toArray(String[]::new);
            CliTest.Result r = align(args);
            assertEquals(2, r.code(), r.err());
            assertEquals(expected[i] + "\n", r.err());
        }
        CliTest.Result r = align("eval");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: Missing required options: '--model=<model>', '--data=<data>'"), r.err());
    }
}
