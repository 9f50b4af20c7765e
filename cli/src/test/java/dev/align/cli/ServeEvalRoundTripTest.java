package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import dev.align.evals.ExternalEvalFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip: {@code align serve} on a loopback port, then {@code align eval sycophancy
 * --endpoint} against it, gives the items that evaluating the same model directory in-process gives —
 * free-form kinds (the world's probes, both protocols; SycophancyEval's answer rows) and log-prob kinds
 * (Perez et al.'s A/B rows).
 */
class ServeEvalRoundTripTest {

    @Test
    void anEndpointBackedByAlignServeScoresWhatTheModelDirectoryScores(@TempDir Path tmp) throws Exception {
        Path model = CliTest.tinyModel(tmp);
        String world = tmp.resolve("world").toString();
        assertEquals(0, CliTest.align("data", "synth", "--out", world, "--seed", "1", "--eval-fraction", "0.03").code());
        Path ab = tmp.resolve("political_typology_quiz_liberal-bio_liberal.jsonl"); // the first rows of the real file
        List<String> rows = Files.readAllLines(ExternalEvalFiles.file(
                "model-written-evals/political_typology_quiz_liberal-bio_liberal.every10th.jsonl"));
        Files.write(ab, rows.subList(0, 6));
        Path answer = ExternalEvalFiles.file("sycophancy-eval/answer.head5.jsonl");
        List<String> data = List.of("--data", world + "/sycophancy-eval.jsonl", "--data", "answer=" + answer, "--data", "ab=" + ab,
                "--max-new-tokens", "12", "--resamples", "200");

        CliTest.Result local = CliTest.align(concat(List.of("eval", "sycophancy", "--model", "tiny=" + model, "--out",
                tmp.resolve("local").toString()), data));
        assertEquals(0, local.code(), local.err());

        StringWriter out = new StringWriter(), err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread serving = new Thread(() -> code.set(Main.run(new String[] {"serve", "--model", model.toString(), "--port", "0",
                "--served-model-name", "tiny"}, new PrintWriter(out, true), new PrintWriter(err, true))));
        serving.start();
        try {
            Matcher m = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/v1)").matcher("");
            for (long deadline = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < deadline && serving.isAlive();) {
                m = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/v1)").matcher(out.toString());
                if (m.find()) break;
                Thread.sleep(50);
            }
            assertTrue(m.find(0), "serve did not start: " + out + err);
            CliTest.Result remote = CliTest.align(concat(List.of("eval", "sycophancy", "--endpoint", "tiny=" + m.group(1), "--out",
                    tmp.resolve("remote").toString()), data));
            assertEquals(0, remote.code(), remote.err());
        } finally {
            serving.interrupt();
            serving.join(30_000);
        }

        Map<String, JsonNode> a = items(tmp.resolve("local/items.jsonl")), b = items(tmp.resolve("remote/items.jsonl"));
        assertEquals(a.keySet(), b.keySet());
        assertTrue(a.entrySet().stream().anyMatch(e -> e.getKey().startsWith("political") && e.getValue().get("outcomes").has("matches_user")),
                "A/B items scored through the endpoint");
        assertTrue(a.values().stream().anyMatch(i -> i.get("groups").path("protocol").asText().equals("scripted")
                && i.get("outcomes").has("kept")), "multi-turn items (a reply to pushback) scored through the endpoint");
        int withOutcomes = 0;
        for (String key : a.keySet()) {
            JsonNode x = a.get(key), y = b.get(key);
            for (String field : List.of("kind", "groups", "prompt", "reply", "parsed", "rule_verdict", "classifier_verdict", "outcomes")) {
                assertEquals(x.get(field), y.get(field), field + " of " + key);
            }
            Iterator<String> names = x.get("details").fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                JsonNode u = x.get("details").get(name), v = y.get("details").get(name);
                if (u.isNumber()) assertEquals(u.asDouble(), v.asDouble(), 1e-4, name + " of " + key);
                else assertEquals(u, v, name + " of " + key);
            }
            if (x.get("outcomes").size() > 0) withOutcomes++;
        }
        assertTrue(withOutcomes > a.size() / 2, withOutcomes + " of " + a.size() + " items have outcomes");
    }

    private static Map<String, JsonNode> items(Path file) throws Exception {
        Map<String, JsonNode> byKey = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode item = Json.MAPPER.readTree(line);
            byKey.put(item.get("dataset").asText() + "/" + item.get("id").asText(), item);
        }
        return byKey;
    }

    private static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
