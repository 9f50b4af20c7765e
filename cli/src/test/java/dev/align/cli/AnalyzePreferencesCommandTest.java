package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalyzePreferencesCommandTest {

    @Test
    void analyzesTheWorldsPreferencesAndWritesJson(@TempDir Path tmp) throws Exception {
        String world = tmp.resolve("world").toString();
        assertEquals(0, CliTest.align("data", "synth", "--out", world, "--seed", "1").code());
        Path json = tmp.resolve("analysis.json");
        CliTest.Result r = CliTest.align("data", "analyze-preferences", "--data", world + "/preferences.jsonl", "--seed", "1",
                "--resamples", "100", "--out", json.toString());
        assertEquals(0, r.code(), r.err());
        System.out.print(r.out());
        String[] lines = r.out().split("\n");
        assertTrue(lines[1].startsWith("feature") && lines[1].contains("95% CI (Wald)") && lines[1].contains("odds ratio"), r.out());
        assertTrue(lines[2].startsWith("agrees_with_user") && lines[2].endsWith("960 (640)"), r.out());
        JsonNode analysis = Json.readObject(json);
        assertEquals(960, analysis.get("pairs").asInt());
        JsonNode agrees = analysis.get("features").get(0);
        assertEquals("agrees_with_user", agrees.get("feature").asText());
        assertTrue(agrees.get("wald_95").get(0).asDouble() > 0 && agrees.get("bootstrap_95").get(0).asDouble() > 0, r.out());
        assertEquals(Math.exp(agrees.get("coefficient").asDouble()), agrees.get("odds_ratio").asDouble(), 1e-9);
        // The coefficient printed is the JSON's, to three decimals.
        assertTrue(lines[2].contains(String.format(java.util.Locale.ROOT, "%.3f", agrees.get("coefficient").asDouble())), r.out());
    }

    @Test
    void badInputIsOneLineWithExitCode2(@TempDir Path tmp) throws Exception {
        Path sft = tmp.resolve("sft.jsonl");
        Files.writeString(sft, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n");
        CliTest.Result r = CliTest.align("data", "analyze-preferences", "--data", sft.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + sft + ":1: field 'prompt': missing\n", r.err());
        Path prefs = tmp.resolve("p.jsonl");
        Files.writeString(prefs, "{\"prompt\":\"q\",\"chosen\":\"a\",\"rejected\":\"b\"}\n");
        r = CliTest.align("data", "analyze-preferences", "--data", prefs.toString(), "--features", "com.example.Nope");
        assertEquals(2, r.code());
        assertEquals("error: feature function 'com.example.Nope': class not found on the classpath\n", r.err());
    }
}
