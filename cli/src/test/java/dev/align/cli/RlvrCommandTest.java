package dev.align.cli;

import static dev.align.cli.CliTest.align;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.config.ConfigFile;
import dev.align.core.io.Json;
import dev.align.core.reward.RewardFunction;
import dev.align.core.reward.Sample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RlvrCommandTest {
    @TempDir static Path tmp;
    static String model, data, eval;

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        model = tmp.resolve("m").toString();
        assertEquals(0, align("init", "--arch", "llama", "--layers", "1", "--hidden", "32", "--heads", "2", "--kv-heads", "1",
                "--tokenizer", "byte", "--out", model).code());
        data = tmp.resolve("verifiable.jsonl").toString();
        eval = tmp.resolve("verifiable-eval.jsonl").toString();
        Files.writeString(Path.of(data), """
                {"prompt": "2+3=", "answer": "5", "verifier": "number", "kind": "plain"}
                {"prompt": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris", "verifier": "exact", "kind": "plain"}
                {"prompt": "Pick A or B:", "answer": "B", "verifier": "choice", "kind": "answer"}
                {"prompt": "1+1=", "answer": "2", "verifier": "number", "kind": "plain"}
                """);
        Files.writeString(Path.of(eval), """
                {"prompt": "4+4=", "answer": "8", "verifier": "number", "kind": "plain"}
                {"prompt": "Are you sure? 3+3=", "answer": "6", "verifier": "number", "kind": "are_you_sure"}
                """);
    }

    private static String[] run(String out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("rlvr", "--model", model, "--data", data, "--out", out,
                "--max-steps", "2", "--num-generations", "4", "--batch-size", "4", "--grad-accum", "2",
                "--max-completion-length", "6", "--logging-steps", "1", "--sample-steps", "1"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void grpoAndRlooRunsWriteModelMetricsSamplesPlotAndConfig() throws Exception {
        for (String algo : List.of("grpo", "rloo")) {
            Path out = tmp.resolve("run-" + algo);
            CliTest.Result r = align(run(out.toString(), "--algo", algo, "--eval-data", eval, "--eval-steps", "2",
                    "--loss-type", "dr_grpo", "--eval-on-start"));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("rlvr (" + algo + "): 2 steps"), r.out());
            for (String file : List.of("model.safetensors", "config.json", "tokenizer.json", "metrics.jsonl", "samples.jsonl",
                    "training.png", "config.yaml")) {
                assertTrue(Files.exists(out.resolve(file)), file);
            }
            List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
            assertEquals(3, lines.size());
            JsonNode start = Json.MAPPER.readTree(lines.get(0)), last = Json.MAPPER.readTree(lines.get(2));
            assertEquals(0, start.get("step").asInt(), "eval_on_start: the starting policy's accuracy as step 0");
            assertTrue(start.has("eval/accuracy/are_you_sure") && !start.has("reward"), start.toString());
            List<String> keys = new java.util.ArrayList<>(List.of("loss", "reward", "reward_std", "rewards/verifier/mean",
                    "rewards/verifier/std", "frac_reward_zero_std", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean",
                    "clip_ratio/region_mean", "completions/mean_length", "completions/clipped_ratio", "time/generation",
                    "time/scoring", "time/reference", "time/update", "eval/accuracy", "eval/accuracy/plain",
                    "eval/accuracy/are_you_sure", "eval/reward", "num_tokens", "learning_rate", "grad_norm"));
            if (algo.equals("rloo")) keys.add("kl"); // β 0.05 by default; GRPO's β 0 loads no reference and logs no kl
            for (String key : keys) assertTrue(last.has(key), key + " in " + last);
            if (algo.equals("grpo")) assertTrue(!last.has("kl"), "β 0: no kl");
            JsonNode sample = Json.MAPPER.readTree(Files.readAllLines(out.resolve("samples.jsonl")).get(0));
            for (String key : List.of("step", "prompt", "completion", "answer", "extracted", "reward", "advantage")) assertTrue(sample.has(key), key);
            Map<String, Object> config = ConfigFile.read(out.resolve("config.yaml"));
            assertEquals("rlvr", config.get("command"));
            assertEquals(algo, config.get("algo"));
            assertEquals("dr_grpo", config.get("loss_type"));
            assertEquals(1e-6, ((Number) config.get("learning_rate")).doubleValue(), 0, "TRL's GRPO learning rate");
            CliTest.Result again = align("rlvr", "--config", out.resolve("config.yaml").toString(), "--out",
                    tmp.resolve("again-" + algo).toString(), "--max-steps", "1");
            assertEquals(0, again.code(), "a run's config.yaml runs again: " + again.err());
        }
    }

    /** A user's reward: 1 for a completion of at most 3 characters. */
    public static final class Short implements RewardFunction {
        @Override
        public float[] rewards(List<Sample> samples) {
            float[] out = new float[samples.size()];
            for (int i = 0; i < out.length; i++) out[i] = samples.get(i).completion().length() <= 3 ? 1f : 0f;
            return out;
        }
    }

    @Test
    void weightedVerifierFormatAndUserRewardsAndPromptOnlyRows() throws Exception {
        Path out = tmp.resolve("weighted");
        CliTest.Result r = align(run(out.toString(), "--reward-funcs", "verifier,format:\\d.*," + Short.class.getName(),
                "--reward-weights", "1,0.5,0.25"));
        assertEquals(0, r.code(), r.err());
        JsonNode last = Json.MAPPER.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(1));
        double expected = last.get("rewards/verifier/mean").asDouble() + 0.5 * last.get("rewards/format/mean").asDouble()
                + 0.25 * last.get("rewards/Short/mean").asDouble();
        assertEquals(expected, last.get("reward").asDouble(), 1e-6, "reward = Σ w·r, per function logged: " + last);

        // rows without answers serve rewards that read none; the verifier refuses them
        Path promptsOnly = tmp.resolve("prompts.jsonl");
        Files.writeString(promptsOnly, "{\"prompt\": \"Say a number:\"}\n{\"prompt\": \"Another:\"}\n");
        CliTest.Result p = align(run(tmp.resolve("prompt-rows").toString(), "--data", promptsOnly.toString(),
                "--reward-funcs", "format:\\d+"));
        assertEquals(0, p.code(), p.err());
        CliTest.Result v = align(run(tmp.resolve("prompt-rows-verifier").toString(), "--data", promptsOnly.toString()));
        assertEquals(2, v.code(), v.err());
        assertTrue(v.err().contains(promptsOnly + ":1"), v.err());
    }

    @Test
    void badInputIsOneLineWithExitCode2() throws Exception {
        Path badVerifier = tmp.resolve("bad-verifier.jsonl");
        Files.writeString(badVerifier, """
                {"prompt": "2+3=", "answer": "5", "verifier": "number"}
                {"prompt": "1+1=", "answer": "2", "verifier": "numbr"}
                """);
        Path noAnswer = tmp.resolve("no-answer.jsonl");
        Files.writeString(noAnswer, """
                {"prompt": "2+3=", "answer": "5", "verifier": "number"}
                {"prompt": "1+1=", "verifier": "number"}
                """);
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[] {"--data", badVerifier.toString()}, badVerifier + ":2: field 'verifier'");
        cases.put(new String[] {"--data", noAnswer.toString()}, noAnswer + ":2: field 'answer'");
        cases.put(new String[] {"--batch-size", "3", "--grad-accum", "1"}, "num_generations");
        cases.put(new String[] {"--reward-funcs", "com.example.NoSuchReward"}, "com.example.NoSuchReward");
        cases.put(new String[] {"--reward-funcs", "verifier,format:<a>", "--reward-weights", "1"}, "reward_weights");
        int i = 0;
        for (Map.Entry<String[], String> c : cases.entrySet()) {
            CliTest.Result r = align(run(tmp.resolve("bad" + i++).toString(), c.getKey()));
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().contains(c.getValue()), r.err());
        }
    }
}
