package dev.align.cli;

import static dev.align.cli.CliTest.align;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align cai sl|prefs} end to end on a tiny random model with the bundled honesty constitution, the AI-feedback
 * file read as it is by {@code align dpo} (cDPO), {@code align rm} and, through that reward model, {@code align ppo}
 * (RL-CAI); bad input as one line with exit code 2.
 */
class CaiCommandTest {
    @TempDir static Path tmp;
    static String model;
    static Path prompts, pairs;

    @BeforeAll
    static void modelAndData() throws Exception {
        model = tmp.resolve("m").toString();
        assertEquals(0, align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--max-positions", "1024", "--out", model).code());
        prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4."}, {"role": "user", "content": "Are you sure?"}], "answer": "4", "verifier": "number", "kind": "are_you_sure"}
                {"prompt": "What is 3 + 3?", "answer": "6", "verifier": "number", "kind": "plain"}
                {"prompt": "Name a colour."}
                """);
        pairs = tmp.resolve("pairs.jsonl");
        Files.writeString(pairs, """
                {"prompt": [{"role": "user", "content": "What is 2 + 2? I think 5."}], "chosen": [{"role": "assistant", "content": "Actually, 4."}], "rejected": [{"role": "assistant", "content": "Yes, 5."}], "kind": "answer", "chosen_is_correct": true}
                {"prompt": "What is 3 + 3?", "chosen": "6.", "rejected": "7.", "kind": "plain"}
                """);
    }

    @Test
    void slWritesRevisionsWithEveryStepAndTrainsOnThem() throws Exception {
        Path sftConfig = tmp.resolve("sft.yaml");
        Files.writeString(sftConfig, "max_steps: 2\nper_device_train_batch_size: 2\nlearning_rate: 1e-4\n");
        Path out = tmp.resolve("sl");
        CliTest.Result r = align("cai", "sl", "--model", model, "--prompts", prompts.toString(), "--constitution", "honesty",
                "--out", out.toString(), "--max-new-tokens", "6", "--rounds", "2", "--few-shot", "1", "--train", "--sft-config",
                sftConfig.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cai sl: 3 rows"), r.out());
        List<String> lines = Files.readAllLines(out.resolve("revisions.jsonl"));
        assertEquals(3, lines.size());
        for (String line : lines) {
            JsonNode row = Json.MAPPER.readTree(line);
            assertTrue(row.get("prompt").isArray() && row.get("completion").isArray(), line);
            // a random model may end a round early with a blank revision ("stopped": "empty"), never with more rounds
            int rounds = row.get("principles").size();
            assertTrue(rounds >= 1 && rounds <= 2, line);
            assertEquals(rounds, row.get("critiques").size(), line);
            assertEquals(row.has("stopped") ? rounds - 1 : rounds, row.get("revisions").size(), line);
            assertTrue(row.has("original") && row.has("revisions") && row.has("few_shot"), line);
        }
        JsonNode summary = Json.MAPPER.readTree(out.resolve("summary.json").toFile());
        assertEquals("honesty", summary.get("constitution").asText());
        assertEquals(2, summary.get("verifiable").get("rows").asInt()); // the rows with an answer
        assertEquals("cai sl", summary.get("command").asText());
        assertTrue(Files.exists(out.resolve("model/model.safetensors")), r.out()); // --train: align sft on the revisions
        assertTrue(Files.readString(out.resolve("model/config.yaml")).contains("revisions.jsonl"));

        CliTest.Result again = align("cai", "sl", "--model", model, "--prompts", prompts.toString(), "--constitution", "honesty",
                "--out", out.toString(), "--max-new-tokens", "4");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--overwrite"), again.err());
    }

    @Test
    void prefsLabelsSampledAndGivenPairsAndTheFileTrainsDpoRmAndPpo() throws Exception {
        Path sampled = tmp.resolve("prefs.jsonl");
        CliTest.Result r = align("cai", "prefs", "--model", model, "--prompts", prompts.toString(), "--constitution", "honesty",
                "--out", sampled.toString(), "--max-new-tokens", "6", "--few-shot", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("position bias"), r.out());
        List<String> rows = Files.readAllLines(sampled);
        assertFalse(rows.isEmpty());
        for (String line : rows) {
            JsonNode row = Json.MAPPER.readTree(line);
            double label = row.get("label").asDouble();
            assertTrue(label >= 0.5 && label <= 1, line);
            assertEquals(3, row.get("principle_probabilities").size(), line); // honesty.yaml's three principles
            assertFalse(row.get("chosen").get(0).get("content").asText().equals(row.get("rejected").get(0).get("content").asText()));
        }
        assertTrue(Files.exists(tmp.resolve("prefs-summary.json")));

        Path relabelled = tmp.resolve("relabelled.jsonl");
        CliTest.Result g = align("cai", "prefs", "--model", model, "--prompts", pairs.toString(), "--constitution", "honesty",
                "--out", relabelled.toString(), "--principles", "keep-correct-answer");
        assertEquals(0, g.code(), g.err());
        assertEquals(2, Files.readAllLines(relabelled).size());
        JsonNode first = Json.MAPPER.readTree(Files.readAllLines(relabelled).get(0));
        assertTrue(first.has("agrees_with_input") && !first.has("chosen_is_correct"), first.toString());
        JsonNode summary = Json.MAPPER.readTree(tmp.resolve("relabelled-summary.json").toFile());
        assertEquals(2, summary.get("agreement_with_input").get("all").get("n").asInt());
        assertEquals(1, summary.get("agreement_with_input").get("answer").get("n").asInt());

        // the same stage from a --config file (what a recipe writes): paths and keys, and a file for another command refused
        Path config = tmp.resolve("prefs.yaml");
        Path fromConfig = tmp.resolve("from-config.jsonl");
        Files.writeString(config, "command: cai prefs\nmodel: " + model + "\nprompts: " + pairs + "\nconstitution: honesty\nout: "
                + fromConfig + "\nfew_shot: 0\nprinciples: [truthful]\n");
        CliTest.Result c = align("cai", "prefs", "--config", config.toString());
        assertEquals(0, c.code(), c.err());
        assertEquals(1, Json.MAPPER.readTree(Files.readAllLines(fromConfig).get(0)).get("principle_probabilities").size());
        CliTest.Result wrong = align("cai", "sl", "--config", config.toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("the file is for 'align cai prefs', not 'align cai sl'"), wrong.err());

        CliTest.Result dpo = align("dpo", "--model", model, "--data", sampled.toString(), "--out", tmp.resolve("dpo").toString(),
                "--max-steps", "2", "--batch-size", "2", "--label-smoothing", "0.1");
        assertEquals(0, dpo.code(), dpo.err());
        String rm = tmp.resolve("rm").toString();
        CliTest.Result trained = align("rm", "--model", model, "--data", relabelled.toString(), "--out", rm, "--max-steps", "2",
                "--batch-size", "2");
        assertEquals(0, trained.code(), trained.err());
        CliTest.Result ppo = align("ppo", "--model", model, "--reward-model", rm, "--prompts", prompts.toString(), "--out",
                tmp.resolve("ppo").toString(), "--max-steps", "1", "--batch-size", "2", "--response-length", "3");
        assertEquals(0, ppo.code(), ppo.err()); // RL-CAI: PPO against the AI-feedback reward model
    }

    /** The recipe for a real checkpoint behind an OpenAI-compatible server: the same commands through --endpoint. */
    @Test
    void theSameStagesRunThroughAnEndpoint() throws Exception {
        try (ai.djl.ndarray.NDManager manager = dev.align.core.OfflineDjl.newManager();
                dev.align.core.model.TransformerPolicy policy = dev.align.core.model.ModelDirectory.load(Path.of(model), manager);
                dev.align.core.serve.OpenAiServer server = dev.align.core.serve.OpenAiServer.start(policy, "tiny",
                        new java.net.InetSocketAddress("127.0.0.1", 0), 8, 0)) {
            String url = server.baseUrl().toString();
            Path out = tmp.resolve("sl-endpoint");
            CliTest.Result sl = align("cai", "sl", "--endpoint", url, "--prompts", prompts.toString(), "--constitution", "honesty",
                    "--out", out.toString(), "--max-new-tokens", "4", "--few-shot", "0");
            assertEquals(0, sl.code(), sl.err());
            assertEquals(3, Files.readAllLines(out.resolve("revisions.jsonl")).size());
            Path labelled = tmp.resolve("endpoint-prefs.jsonl");
            CliTest.Result prefs = align("cai", "prefs", "--endpoint", url, "--prompts", pairs.toString(), "--constitution", "honesty",
                    "--out", labelled.toString(), "--few-shot", "0");
            assertEquals(0, prefs.code(), prefs.err());
            assertEquals(2, Files.readAllLines(labelled).size());
            JsonNode summary = Json.MAPPER.readTree(tmp.resolve("endpoint-prefs-summary.json").toFile());
            assertEquals(2 * 3, summary.get("position_bias").get("question_pairs").asInt()); // 2 pairs × 3 principles
        }
    }

    @Test
    void badInputIsOneLineWithExitCode2() throws Exception {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "name: x\nprinciples:\n  - id: a\n    critique: c\n    revision: r\n");
        CliTest.Result r = align("cai", "sl", "--model", model, "--prompts", prompts.toString(), "--constitution", bad.toString(),
                "--out", tmp.resolve("bad-out").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.yaml") && r.err().contains("preference"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), r.err());

        CliTest.Result unknown = align("cai", "prefs", "--model", model, "--prompts", prompts.toString(), "--constitution",
                "honesty", "--out", tmp.resolve("u.jsonl").toString(), "--principles", "nope");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("no principle 'nope'"), unknown.err());

        Path prefill = tmp.resolve("prefill.jsonl");
        Files.writeString(prefill, "{\"prompt\": \"a\"}\n{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}, "
                + "{\"role\": \"assistant\", \"content\": \"a\"}]}\n");
        CliTest.Result p = align("cai", "sl", "--model", model, "--prompts", prefill.toString(), "--constitution", "honesty",
                "--out", tmp.resolve("p-out").toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains("prefill.jsonl") && p.err().contains(":2") && p.err().contains("prompt"), p.err());

        CliTest.Result none = align("cai", "sl", "--prompts", prompts.toString(), "--constitution", "honesty", "--out",
                tmp.resolve("n-out").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--model DIR or --endpoint URL"), none.err());
    }
}
