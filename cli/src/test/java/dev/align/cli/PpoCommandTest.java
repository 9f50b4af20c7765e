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

/** {@code align ppo} from the command line: a tiny run end to end, and bad input as one line with exit code 2. */
class PpoCommandTest {
    @TempDir static Path tmp;
    static String model, rm;
    static Path prompts;

    @BeforeAll
    static void modelsAndData() throws Exception {
        model = tmp.resolve("sft").toString();
        assertEquals(0, align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", model).code());
        Path ranked = tmp.resolve("rankings.jsonl");
        Files.writeString(ranked, "{\"prompt\": \"q\", \"responses\": [\"abc\", \"b\", \"c\"], \"ranking\": [0, 1, 2]}\n"
                + "{\"prompt\": \"r\", \"responses\": [\"xyz\", \"9\"], \"ranking\": [0, 1]}\n");
        rm = tmp.resolve("rm").toString();
        CliTest.Result trained = align("rm", "--model", model, "--data", ranked.toString(), "--out", rm, "--max-steps", "2");
        assertEquals(0, trained.code(), trained.err());
        prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"a1\"}\n{\"prompt\": \"b2\"}\n{\"prompt\": \"c3\"}\n{\"prompt\": \"d4\"}\n");
    }

    @Test
    void aTinyRunWritesTheModelTheCriticMetricsSamplesPlotAndConfig() throws Exception {
        Path eval = tmp.resolve("eval.jsonl");
        Files.writeString(eval, "{\"prompt\": \"e1\"}\n{\"prompt\": \"e2\"}\n");
        String out = tmp.resolve("run").toString();
        CliTest.Result r = align("ppo", "--model", model, "--reward-model", rm, "--prompts", prompts.toString(), "--eval-prompts",
                eval.toString(), "--out", out, "--max-steps", "2", "--batch-size", "2", "--response-length", "4",
                "--logging-steps", "1", "--eval-steps", "2", "--sample-steps", "1", "--learning-rate", "1e-4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("critic: a value head on a copy of the reward model"), r.out());
        assertTrue(r.out().contains("ppo: 2 steps"), r.out());
        for (String file : List.of("model.safetensors", "config.json", "tokenizer.json", "critic/model.safetensors",
                "metrics.jsonl", "samples.jsonl", "training.png", "config.yaml")) {
            assertTrue(Files.exists(Path.of(out, file)), file);
        }
        List<String> metrics = Files.readAllLines(Path.of(out, "metrics.jsonl"));
        assertEquals(2, metrics.size());
        JsonNode last = Json.MAPPER.readTree(metrics.get(1));
        for (String key : List.of("objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                "objective/scores", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg",
                "val/clipfrac_avg", "val/ratio", "val/num_eos_tokens", "objective/kl_coef", "time/generation", "time/scoring",
                "time/reference", "time/update", "eval/objective/scores", "eval/objective/kl")) {
            assertTrue(last.has(key), key + " in " + last);
        }
        assertEquals(2 * 2, Files.readAllLines(Path.of(out, "samples.jsonl")).size(), "2 completions a step, both logged");
        String yaml = Files.readString(Path.of(out, "config.yaml"));
        for (String key : List.of("command: \"ppo\"", "kl_coef: 0.05", "cliprange: 0.2", "vf_coef: 0.1", "lam: 0.95",
                "response_length: 4", "kl_estimator: \"k1\"", "reward_model: \"" + rm + "\"")) {
            assertTrue(yaml.contains(key), key + " in\n" + yaml);
        }

        String shared = tmp.resolve("shared").toString();
        CliTest.Result s = align("ppo", "--model", model, "--reward-model", rm, "--prompts", prompts.toString(), "--out", shared,
                "--max-steps", "1", "--batch-size", "2", "--response-length", "3", "--shared-backbone");
        assertEquals(0, s.code(), s.err());
        assertFalse(Files.exists(Path.of(shared, "critic")), "the value head sits on the policy");
        assertTrue(Files.readString(Path.of(shared, "config.yaml")).contains("shared_backbone: true"));
    }

    @Test
    void badInputIsOneLineWithExitCode2() throws Exception {
        String out = tmp.resolve("bad").toString();
        Path noPrompt = tmp.resolve("no-prompt.jsonl");
        Files.writeString(noPrompt, "{\"prompt\": \"a\"}\n{\"question\": \"b\"}\n");
        assertOneLine(align("ppo", "--model", model, "--reward-model", rm, "--prompts", noPrompt.toString(), "--out", out),
                "error: " + noPrompt + ":2: field 'prompt': ");

        assertOneLine(align("ppo", "--model", model, "--reward-model", model, "--prompts", prompts.toString(), "--out", out),
                "error: " + Path.of(model, "model.safetensors") + ": no score head (score.weight)");

        assertOneLine(align("ppo", "--model", model, "--reward-model", tmp.resolve("nope").toString(), "--prompts",
                prompts.toString(), "--out", out), "error: " + tmp.resolve("nope") + ": model directory not found");
        assertOneLine(align("ppo", "--model", model, "--prompts", prompts.toString(), "--out", out),
                "error: missing required option '--reward-model'");

        // a reward model with another vocabulary: its copy could not read the policy's tokens as the critic
        String otherRm = tmp.resolve("rm-other-vocab").toString();
        Files.createDirectories(Path.of(otherRm));
        try (var files = Files.list(Path.of(rm))) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, Path.of(otherRm, f.getFileName().toString()));
        }
        Path tokenizer = Path.of(otherRm, "tokenizer.json");
        Files.writeString(tokenizer, Files.readString(tokenizer).replace("<|im_start|>", "<|turn|>"));
        assertOneLine(align("ppo", "--model", model, "--reward-model", otherRm, "--prompts", prompts.toString(), "--out", out,
                "--critic-init", "reward_model"), "error: " + tokenizer + ": the reward model's vocabulary differs");

        // a reward model without the statistics to whiten its score with
        String rawRm = tmp.resolve("rm-raw").toString();
        Files.createDirectories(Path.of(rawRm));
        try (var files = Files.list(Path.of(rm))) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, Path.of(rawRm, f.getFileName().toString()));
        }
        Path config = Path.of(rawRm, "config.json");
        var json = Json.readObject(config);
        json.remove("mean");
        json.remove("std");
        Files.writeString(config, Json.pretty(json));
        assertOneLine(align("ppo", "--model", model, "--reward-model", rawRm, "--prompts", prompts.toString(), "--out", out),
                "error: " + config + ": no 'mean' and 'std' to whiten the score with");
        assertFalse(Files.exists(Path.of(out)), "nothing written");
    }

    @Test
    void aRewardModelTokenizerPastItsVocabularyIsOneLine() throws Exception {
        String out = tmp.resolve("bad-rm-tokenizer").toString();
        // a reward model whose tokenizer has ids past its embedding rows
        String wideRm = copyOf(rm, "rm-wide-tokenizer");
        Path wide = Path.of(wideRm, "tokenizer.json");
        var tok = Json.readObject(wide);
        var extra = ((com.fasterxml.jackson.databind.node.ArrayNode) tok.get("added_tokens")).addObject();
        extra.put("id", 5000).put("content", "<|extra|>").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        Files.writeString(wide, Json.pretty(tok));
        assertOneLine(align("ppo", "--model", model, "--reward-model", wideRm, "--prompts", prompts.toString(), "--out", out),
                "error: " + wide + ": token ids go up to 5000 but " + Path.of(wideRm, "config.json") + " has vocab_size");
        assertFalse(Files.exists(Path.of(out)), "nothing written");
    }

    @Test
    void aChatTemplateThatCannotRenderAPromptFailsBeforeAnythingIsWritten() throws Exception {
        String out = tmp.resolve("bad-template").toString();
        // a chat template that cannot render a prompt fails before training, naming the line
        String strict = copyOf(model, "sft-strict-template");
        Path templateConfig = Path.of(strict, "tokenizer_config.json");
        var tc = Json.readObject(templateConfig);
        tc.put("chat_template", "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}");
        Files.writeString(templateConfig, Json.pretty(tc));
        Path chat = tmp.resolve("chat-prompts.jsonl");
        Files.writeString(chat, "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n"
                + "{\"prompt\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hi\"}]}\n");
        assertOneLine(align("ppo", "--model", strict, "--reward-model", rm, "--prompts", chat.toString(), "--out", out),
                "error: " + chat + ":2: field 'prompt': chat template: System role not supported");
        assertFalse(Files.exists(Path.of(out)), "nothing written");

        // the reward model renders the prompts with its own template
        String strictRm = copyOf(rm, "rm-strict-template");
        Files.writeString(Path.of(strictRm, "tokenizer_config.json"), Json.pretty(tc));
        assertOneLine(align("ppo", "--model", model, "--reward-model", strictRm, "--prompts", chat.toString(), "--out", out),
                "error: " + chat + ":2: field 'prompt': reward model: chat template: System role not supported");
        assertFalse(Files.exists(Path.of(out)), "nothing written");
    }

    private static String copyOf(String dir, String name) throws Exception {
        Path copy = tmp.resolve(name);
        Files.createDirectories(copy);
        try (var files = Files.list(Path.of(dir))) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.copy(f, copy.resolve(f.getFileName().toString()));
        }
        return copy.toString();
    }

    private static void assertOneLine(CliTest.Result r, String start) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith(start), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
