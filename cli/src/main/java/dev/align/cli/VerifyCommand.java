package dev.align.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.reward.Verifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align verify}: the verifiable reward of completions already written, with the answers it extracted. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Score completions with their verifiers: accuracy overall and per verifier.",
            "Rows: {\"completion\", \"answer\", \"verifier\": number|choice|exact|regex:P} (default exact), other columns kept.",
            "The final answer counts: markers (Answer:, \\boxed{}, ####) first; denied, hedged or retracted answers score 0."})
final class VerifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, description = "JSONL of {\"completion\", \"answer\", \"verifier\"} rows.") Path data;
    @Option(names = "--out", description = "Write each row plus 'reward' (1.0/0.0) and 'extracted_answer' here (JSONL, atomically).")
    Path out;

    /** Rows carrying {@code expected_reward}: [matching the reward given, all]. */
    private final int[] expected = new int[2];

    @Override
    public Integer call() {
        Map<String, int[]> groups = new TreeMap<>();
        if (out != null) {
            AtomicFiles.write(out, stream -> score(groups, stream));
        } else {
            score(groups, null);
        }
        var stdout = spec.commandLine().getOut();
        groups.forEach((g, c) -> stdout.printf(Locale.ROOT, "accuracy %-24s %.4f  (%d/%d)%n", g, c[0] / (double) c[1], c[0], c[1]));
        if (expected[1] > 0) {
            stdout.printf(Locale.ROOT, "expected_reward matched: %d of %d rows%s%n", expected[0], expected[1],
                    expected[0] == expected[1] ? "" : " (" + (expected[1] - expected[0]) + " differ)");
        }
        if (out != null) stdout.println("wrote " + out);
        return 0;
    }

    /** Reads, verifies and (when {@code sink} is given) writes every row; a bad line stops before the file is kept. */
    private void score(Map<String, int[]> groups, OutputStream sink) {
        try (BufferedReader in = Files.newBufferedReader(data, StandardCharsets.UTF_8)) {
            String line;
            long number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                ObjectNode row = parse(line, number);
                String completion = completion(row, number);
                String answer = answer(row, number);
                Verifier v = verifier(row, number);
                String problem = v.problemWith(answer);
                if (problem != null) throw BadInputException.at(data, number, "answer", problem);
                Verifier.Verdict verdict = v.verify(answer, completion);
                count(groups, "all", verdict.correct());
                JsonNode want = row.get("expected_reward");
                if (want != null && !want.isNull()) {
                    if (!want.isNumber()) throw BadInputException.at(data, number, "expected_reward", "expected a number");
                    expected[0] += want.asDouble() == (verdict.correct() ? 1.0 : 0.0) ? 1 : 0;
                    expected[1]++;
                }
                count(groups, "verifier=" + (v.name().startsWith("regex:") ? "regex" : v.name()), verdict.correct());
                if (sink != null) {
                    row.put("reward", verdict.correct() ? 1.0 : 0.0);
                    row.put("extracted_answer", verdict.extracted());
                    sink.write((Json.compact(row) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            if (number == 0 || groups.isEmpty()) throw BadInputException.in(data, "empty file: no rows");
        } catch (NoSuchFileException e) {
            throw BadInputException.in(data, "file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + data + ": " + e.getMessage(), e);
        }
    }

    private ObjectNode parse(String line, long number) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw BadInputException.at(data, number, null, "invalid JSON: " + Json.problem(e));
        }
        if (node == null || !node.isObject()) throw BadInputException.at(data, number, null, "expected a JSON object");
        return (ObjectNode) node;
    }

    /** A string, or a message list (TRL's conversational completion): its last message's content. */
    private String completion(ObjectNode row, long number) {
        JsonNode c = row.get("completion");
        if (c == null) throw BadInputException.at(data, number, "completion", "missing");
        if (c.isTextual()) return c.asText();
        if (c.isArray() && !c.isEmpty() && c.get(c.size() - 1).path("content").isTextual()) {
            return c.get(c.size() - 1).get("content").asText();
        }
        throw BadInputException.at(data, number, "completion", "expected a string or a list of messages");
    }

    private String answer(ObjectNode row, long number) {
        JsonNode a = row.get("answer");
        if (a == null) throw BadInputException.at(data, number, "answer", "missing");
        if (!a.isTextual() && !a.isNumber()) throw BadInputException.at(data, number, "answer", "expected a string or a number");
        return a.asText();
    }

    private Verifier verifier(ObjectNode row, long number) {
        JsonNode v = row.get("verifier");
        if (v == null) return Verifier.of("exact");
        if (!v.isTextual()) throw BadInputException.at(data, number, "verifier", "expected a string");
        try {
            return Verifier.of(v.asText());
        } catch (IllegalArgumentException e) {
            throw BadInputException.at(data, number, "verifier", e.getMessage());
        }
    }

    private static void count(Map<String, int[]> groups, String key, boolean correct) {
        int[] c = groups.computeIfAbsent(key, k -> new int[2]);
        c[0] += correct ? 1 : 0;
        c[1]++;
    }
}
