package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Result(int code, String out, String err) {}

    static Result align(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void initGenerateAndLogprobsWorkEndToEnd(@TempDir Path tmp) throws Exception {
        String dir = tmp.resolve("tiny").toString();
        Result init = align("init", "--arch", "llama", "--layers", "2", "--hidden", "64", "--heads", "4", "--kv-heads", "2",
                "--tokenizer", "byte", "--out", dir);
        assertEquals(0, init.code(), init.err());
        assertTrue(init.out().contains("llama, 2 layers, hidden 64, 4 heads (2 kv)"), init.out());
        JsonNode config = Json.readObject(Path.of(dir, "config.json"));
        assertEquals(2, config.get("num_key_value_heads").asInt());

        Result gen1 = align("generate", "--model", dir, "--prompt", "Hello", "--max-new-tokens", "20", "--temperature", "0.8",
                "--top-p", "0.9", "--seed", "1", "--json");
        Result gen2 = align("generate", "--model", dir, "--prompt", "Hello", "--max-new-tokens", "20", "--temperature", "0.8",
                "--top-p", "0.9", "--seed", "1", "--json");
        Result gen3 = align("generate", "--model", dir, "--prompt", "Hello", "--max-new-tokens", "20", "--temperature", "0.8",
                "--top-p", "0.9", "--seed", "2", "--json");
        assertEquals(0, gen1.code(), gen1.err());
        assertEquals(gen1.out(), gen2.out(), "same seed, same text");
        assertNotEquals(gen1.out(), gen3.out(), "another seed, another text");
        JsonNode g = Json.MAPPER.readTree(gen1.out());
        assertEquals(g.get("token_ids").size(), g.get("logprobs").size());
        assertTrue(g.get("token_ids").size() > 0 && g.get("token_ids").size() <= 20);

        Result lp = align("logprobs", "--model", dir, "--text", "Hello world", "--json");
        assertEquals(0, lp.code(), lp.err());
        JsonNode l = Json.MAPPER.readTree(lp.out());
        assertEquals(11, l.get("token_ids").size());
        assertTrue(l.get("logprobs").get(0).isNull());
        double sum = 0;
        for (int i = 1; i < 11; i++) {
            double v = l.get("logprobs").get(i).asDouble();
            assertTrue(v < 0);
            sum += v;
        }
        assertEquals(sum, l.get("sum_logprob").asDouble(), 1e-4);
        // An untrained model is close to uniform over the 260-token vocabulary.
        assertEquals(-Math.log(260), l.get("mean_logprob").asDouble(), 0.3);
    }

    @Test
    void badInputIsOneLineAndExitCode2WithoutStackTrace(@TempDir Path tmp) throws Exception {
        Result missing = align("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
        assertEquals(2, missing.code());
        assertEquals("error: " + tmp.resolve("nope") + ": model directory not found\n", missing.err());

        String dir = tmp.resolve("m").toString();
        assertEquals(0, align("init", "--arch", "gpt2", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", dir).code());
        Path config = Path.of(dir, "config.json");
        Files.writeString(config, Files.readString(config).replace("\"gpt2\"", "\"rwkv\""));
        Result unknown = align("logprobs", "--model", dir, "--text", "ab");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: " + config + ": field 'model_type': unknown model_type 'rwkv'"), unknown.err());
        assertEquals(1, unknown.err().lines().count());
        assertFalse(unknown.err().contains("\tat "), "no stack trace without --debug");

        Result debug = align("logprobs", "--model", dir, "--text", "ab", "--debug");
        assertEquals(2, debug.code());
        assertTrue(debug.err().contains("\tat "), "--debug prints the stack trace");

        Result notEmpty = align("init", "--out", dir);
        assertEquals(2, notEmpty.code());
        assertTrue(notEmpty.err().contains("output directory is not empty; pass --overwrite"), notEmpty.err());

        Result badFlag = align("generate", "--model", dir, "--prompt", "x", "--top-p", "1.5");
        assertEquals(2, badFlag.code());
        assertEquals("error: top-p must be in (0, 1]\n", badFlag.err());
    }

    @Test
    void trainingCommandsRejectBadDataAndConfigAndProtectFinishedRuns(@TempDir Path tmp) throws Exception {
        String model = tmp.resolve("m").toString();
        assertEquals(0, align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", model).code());
        Path data = tmp.resolve("sft.jsonl");
        Files.writeString(data, "{\"prompt\": \"1+1=\", \"completion\": \"2\"}\n{\"prompt\": \"2+2=\"}\n");
        String out = tmp.resolve("run").toString();
        Result bad = align("sft", "--model", model, "--data", data.toString(), "--out", out, "--max-steps", "2");
        assertEquals(2, bad.code());
        assertEquals("error: " + data + ":2: field 'completion': missing\n", bad.err());
        assertFalse(Files.exists(Path.of(out)), "a bad data line stops the run before anything is written");

        Path config = tmp.resolve("c.yaml");
        Files.writeString(config, "learning_rate: 0.01\nbatch: 3\n");
        Result unknown = align("sft", "--model", model, "--data", data.toString(), "--out", out, "--config", config.toString(),
                "--skip-bad-lines");
        assertEquals(2, unknown.code());
        assertEquals("error: " + config + ": key 'batch': unknown (did you mean 'per_device_train_batch_size'?)\n",
                unknown.err());

        Files.writeString(config, "learning_rate: 0.01\nmax_steps: 3\nper_device_train_batch_size: 1\nlogging_steps: 1\n");
        Result ok = align("sft", "--model", model, "--data", data.toString(), "--out", out, "--config", config.toString(),
                "--skip-bad-lines", "--max-steps", "2");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("sft: 2 steps"), "the flag overrides the file: " + ok.out());
        assertTrue(ok.out().contains("skipped 1 bad line of"), ok.out());
        assertTrue(Files.readString(Path.of(out, "config.yaml")).contains("learning_rate: 0.01"));
        assertEquals(2, Files.readAllLines(Path.of(out, "metrics.jsonl")).size());

        Result again = align("sft", "--model", model, "--data", data.toString(), "--out", out, "--skip-bad-lines");
        assertEquals(2, again.code());
        assertEquals("error: " + out + ": holds a finished run; pass --overwrite to replace it\n", again.err());
    }

    @Test
    void rewardModelScoringAndDpoRunFromTheCommandLineAndRejectBadRows(@TempDir Path tmp) throws Exception {
        String model = tmp.resolve("m").toString();
        assertEquals(0, align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", model).code());
        Path ranked = tmp.resolve("rankings.jsonl");
        Files.writeString(ranked, "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [2, 0, 1], \"kind\": \"x\"}\n"
                + "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"scores\": [1.5, 0.5], \"kind\": \"y\"}\n");
        String rm = tmp.resolve("rm").toString();
        Result trained = align("rm", "--model", model, "--data", ranked.toString(), "--out", rm, "--max-steps", "2",
                "--ranking-loss", "listwise", "--learning-rate", "1e-3");
        assertEquals(0, trained.code(), trained.err());
        assertTrue(trained.out().contains("reward statistics"), trained.out());
        JsonNode config = Json.readObject(Path.of(rm, "config.json"));
        assertTrue(config.has("mean") && config.has("std") && config.get("num_labels").asInt() == 1, config.toString());
        assertTrue(Files.readString(Path.of(rm, "config.yaml")).matches("(?s).*ranking_loss: \"?listwise.*"));

        Result one = align("reward", "--model", rm, "--prompt", "q", "--response", "a");
        assertEquals(0, one.code(), one.err());
        Double.parseDouble(one.out().trim());
        Result scored = align("reward", "--model", rm, "--data", ranked.toString(), "--group-by", "kind");
        assertEquals(0, scored.code(), scored.err());
        assertEquals(2, scored.out().lines().count(), scored.out());
        assertTrue(scored.out().startsWith("{\"line\":1,\"rewards\":["), scored.out());
        assertTrue(scored.err().contains("pairwise accuracy (all)") && scored.err().contains("of 4 pairs")
                && scored.err().contains("(kind=y)"), scored.err());

        Path prefs = tmp.resolve("preferences.jsonl");
        Files.writeString(prefs, "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                + "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": 1}\n");
        String dpo = tmp.resolve("dpo").toString();
        Result d = align("dpo", "--model", model, "--data", prefs.toString(), "--out", dpo, "--max-steps", "2",
                "--precompute-ref-logprobs", "--loss-type", "ipo", "--logging-steps", "1", "--max-prompt-length", "8");
        assertEquals(0, d.code(), d.err());
        JsonNode first = Json.MAPPER.readTree(Files.readAllLines(Path.of(dpo, "metrics.jsonl")).get(0));
        for (String key : new String[] {"loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                "logps/chosen", "logps/rejected", "grad_norm", "learning_rate", "num_dropped_too_long", "num_truncated",
                "num_prompt_truncated"}) {
            assertTrue(first.has(key), key + " in " + first);
        }
        assertTrue(Files.readString(Path.of(dpo, "config.yaml")).matches("(?s).*loss_type: \"?ipo.*"));
        assertTrue(Files.readString(Path.of(dpo, "config.yaml")).contains("max_prompt_length: 8"));

        Files.writeString(ranked, "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"ranking\": [0, 0]}\n");
        Result badRanking = align("rm", "--model", model, "--data", ranked.toString(), "--out", tmp.resolve("r2").toString());
        assertEquals(2, badRanking.code());
        assertEquals("error: " + ranked + ":1: field 'ranking': not a permutation of 0..1: [0,0]\n", badRanking.err());
        Files.writeString(prefs, "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"q\", \"chosen\": 3, \"rejected\": \"b\"}\n");
        Result badPair = align("dpo", "--model", model, "--data", prefs.toString(), "--out", tmp.resolve("d2").toString());
        assertEquals(2, badPair.code());
        assertTrue(badPair.err().startsWith("error: " + prefs + ":2: field 'chosen': ") && badPair.err().lines().count() == 1,
                badPair.err());
        Result wrongKind = align("rm", "--model", model, "--data", tmp.resolve("nothing.jsonl").toString(), "--out",
                tmp.resolve("r3").toString());
        assertEquals(2, wrongKind.code());
        assertTrue(wrongKind.err().contains("nothing.jsonl: file not found"), wrongKind.err());
    }

    /** Every file under a directory with a digest of its bytes. */
    static Map<String, String> contents(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted().toList()) {
                out.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                        : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    static Path tinyModel(Path tmp) {
        Path model = tmp.resolve("m");
        Result init = align("init", "--layers", "1", "--hidden", "32", "--heads", "2", "--out", model.toString());
        assertEquals(0, init.code(), init.err());
        return model;
    }

    static Path sftData(Path tmp) throws Exception {
        Path data = tmp.resolve("sft.jsonl");
        Files.writeString(data, "{\"prompt\": \"1+1=\", \"completion\": \"2\"}\n{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n");
        return data;
    }

    @Test
    void anOutputThatOverlapsAnInputIsRefusedAtOnceAndTheInputStaysByteIdentical(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path data = sftData(tmp);
        Map<String, String> before = contents(model);
        Result same = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", model.toString(),
                "--max-steps", "2");
        assertEquals(2, same.code(), same.err());
        assertEquals("error: " + model + ": --out is the --model input; choose another output directory\n", same.err());
        assertEquals(before, contents(model), "the input model is untouched");

        Path inside = model.resolve("run");
        Result nested = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", inside.toString(),
                "--max-steps", "2");
        assertEquals(2, nested.code());
        assertTrue(nested.err().startsWith("error: " + inside + ": --out is inside the --model input"), nested.err());
        assertEquals(before, contents(model));

        // a symbolic link to the model is the model
        Path link = Files.createSymbolicLink(tmp.resolve("link"), model);
        assertEquals(2, align("dpo", "--model", model.toString(), "--data", data.toString(), "--out", link.toString()).code());
        assertEquals(before, contents(model));

        // a run directory that holds the reference model or the data would overwrite them
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Path heldData = Files.copy(data, run.resolve("sft.jsonl"));
        Result holds = align("sft", "--model", model.toString(), "--data", heldData.toString(), "--out", run.toString());
        assertEquals(2, holds.code());
        assertEquals("error: " + run + ": --out holds the --data input " + heldData
                + ", which the run could overwrite; choose another output directory\n", holds.err());
        Result ref = align("dpo", "--model", model.toString(), "--data", data.toString(), "--ref-model", model.toString(),
                "--out", model.resolve("dpo").toString());
        assertEquals(2, ref.code());
        assertEquals(before, contents(model));
    }

    @Test
    void settingsErrorsStopTheRunBeforeAnyFileIsWritten(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path data = sftData(tmp);
        Path out = tmp.resolve("run");
        Path yaml = tmp.resolve("sft.yaml");
        Files.writeString(yaml, "learning_rte: 0.01\n");
        Result typo = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--config", yaml.toString());
        assertEquals(2, typo.code());
        assertEquals("error: " + yaml + ": key 'learning_rte': unknown (did you mean 'learning_rate'?)\n", typo.err());
        assertFalse(Files.exists(out));

        Files.writeString(yaml, "max_steps: ten\n");
        Result type = align("rm", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--config", yaml.toString());
        assertEquals("error: " + yaml + ": key 'max_steps': expected an integer, got 'ten'\n", type.err());
        Result flag = align("dpo", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--loss-type", "sigmod");
        assertEquals(2, flag.code());
        assertEquals("error: command line: key 'loss_type': expected one of sigmoid, ipo, hinge, robust, got 'sigmod'\n",
                flag.err());
        Files.writeString(yaml, "beta: -1\n");
        Result value = align("dpo", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--config", yaml.toString(), "--max-steps", "3");
        assertEquals("error: " + yaml + ": key 'beta': must be > 0, got -1.0\n", value.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aTokenizerWithIdsBeyondTheModelsVocabularyIsRefusedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path tokenizer = model.resolve("tokenizer.json");
        com.fasterxml.jackson.databind.node.ObjectNode json = Json.readObject(tokenizer);
        json.withArray("added_tokens").addObject().put("id", 300).put("content", "<|extra|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        Files.writeString(tokenizer, Json.pretty(json));
        Path out = tmp.resolve("run");
        Result r = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("error: " + tokenizer + ": token ids go up to 300 but " + model.resolve("config.json")
                + " has vocab_size 260\n", r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aChatTemplateThatCannotServeTheDataFailsBeforeTrainingNamingTheLine(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path config = model.resolve("tokenizer_config.json");
        com.fasterxml.jackson.databind.node.ObjectNode json = Json.readObject(config);
        json.put("chat_template", "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}");
        Files.writeString(config, Json.pretty(json));
        Path data = tmp.resolve("chat.jsonl");
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n"
                + "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hi\"}, "
                + "{\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
        Path out = tmp.resolve("run");
        Result r = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("error: " + data + ":2: chat template: System role not supported\n", r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void cudaWithoutACudaLibtorchIsOneLineAndExitCode2(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.align.core.OfflineDjl.engine().getGpuCount() == 0);
        Path out = tmp.resolve("m");
        Result init = align("init", "--device", "cuda", "--out", out.toString());
        assertEquals(2, init.code());
        assertTrue(init.err().startsWith("error: device cuda: PyTorch sees no CUDA GPU"), init.err());
        assertEquals(1, init.err().lines().count());
        assertFalse(Files.exists(out));
        assertEquals(0, align("init", "--device", "cpu", "--layers", "1", "--hidden", "32", "--heads", "2", "--out",
                out.toString()).code());
        Path run = tmp.resolve("run");
        Result sft = align("sft", "--model", out.toString(), "--data", sftData(tmp).toString(), "--out", run.toString(),
                "--device", "cuda");
        assertEquals(2, sft.code());
        assertFalse(Files.exists(run));
        Path verifiable = tmp.resolve("v.jsonl");
        Files.writeString(verifiable, "{\"prompt\": \"1+1=\", \"answer\": \"2\", \"verifier\": \"number\"}\n");
        String m = out.toString();
        for (String[] args : List.of(new String[] {"generate", "--model", m, "--prompt", "x"},
                new String[] {"logprobs", "--model", m, "--text", "x"},
                new String[] {"eval", "--model", m, "--data", verifiable.toString()},
                new String[] {"reward", "--model", m, "--prompt", "x", "--response", "y"},
                new String[] {"bench", "--sections", "train"})) {
            String[] withDevice = java.util.stream.Stream.concat(java.util.Arrays.stream(args), Stream.of("--device", "cuda"))
                    .toArray(String[]::new);
            Result r = align(withDevice);
            assertEquals(2, r.code(), args[0] + ": " + r.err());
            assertTrue(r.err().startsWith("error: device cuda: PyTorch sees no CUDA GPU"), args[0] + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
    }

    @Test
    void benchTimesAPpoAndAGrpoStepThroughTheirTrainers() throws Exception {
        Result r = align("bench", "--sections", "ppo,grpo", "--layers", "1", "--hidden", "32", "--heads", "2", "--vocab", "300",
                "--rollout-new-tokens", "8", "--gemm-size", "64", "--json");
        assertEquals(0, r.code(), r.err());
        var json = com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(r.out().lines()
                .filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        for (String method : List.of("ppo", "grpo")) {
            double total = json.get(method + "_step_seconds").asDouble(), sum = 0;
            for (String part : List.of("generation", "scoring", "reference", "update")) {
                assertTrue(json.has(method + "_step_" + part + "_seconds"), method + " " + part + ": " + json);
                sum += json.get(method + "_step_" + part + "_seconds").asDouble();
            }
            assertEquals(total, sum, 1e-9, method);
            double share = json.get(method + "_step_generation_share").asDouble();
            assertTrue(share > 0 && share < 1, method + " share " + share);
            // 64 completions of at most 8 tokens a step, at the measured generation time
            double tps = json.get(method + "_step_rollout_tokens_per_second").asDouble();
            assertTrue(tps > 0 && tps * json.get(method + "_step_generation_seconds").asDouble() <= 64 * 8 + 1e-6, method + " " + tps);
        }
        assertTrue(r.out().contains("PPO  step") && r.out().contains("GRPO step"), r.out());
    }

    @Test
    void everySettingIsAFlagAndConfigYamlHoldsEveryResolvedSetting(@TempDir Path tmp) throws Exception {
        Result raw = align("dpo", "--help");
        Result help = new Result(raw.code(), raw.out().replaceAll("\\s+", " "), raw.err()); // picocli wraps lines
        for (String flag : List.of("--learning-rate", "--per-device-train-batch-size", "--batch-size", "--beta", "--loss-type",
                "--rpo-alpha", "--ref-model", "--precompute-ref-logprobs", "--device", "--config")) {
            assertTrue(help.out().contains(flag), flag + " in\n" + help.out());
        }
        assertTrue(help.out().contains("beta: β, strength of the implicit KL constraint (default: 0.1)"), help.out());
        assertTrue(help.out().contains("(default: 1.0E-6)"), "DPO's learning rate default: " + help.out());

        Path model = tinyModel(tmp);
        Path out = tmp.resolve("run");
        Result r = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString(),
                "--max-steps", "1", "--batch-size", "2", "--packing", "--loss-on-prompt=false");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> yaml = dev.align.core.config.ConfigFile.read(out.resolve("config.yaml"));
        List<String> expected = new java.util.ArrayList<>(List.of("command", "model", "data", "eval_data", "device"));
        dev.align.core.config.ConfigBinder.of(dev.align.sft.SftConfig.class).settings().forEach(s -> expected.add(s.key()));
        assertEquals(expected, List.copyOf(yaml.keySet()));
        assertEquals(2, yaml.get("per_device_train_batch_size"));
        assertEquals(true, yaml.get("packing"));
        assertEquals(1, yaml.get("max_steps"));
        assertEquals("cpu", yaml.get("device"));
    }

    @Test
    void sftWhoseCompletionsAreAllCutOffFailsBeforeTrainingAndCountsUntrainedRows(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path data = tmp.resolve("long.jsonl");
        String longPrompt = "a".repeat(30);
        Files.writeString(data, "{\"prompt\": \"" + longPrompt + "\", \"completion\": \"b\"}\n"
                + "{\"prompt\": \"" + longPrompt + "\", \"completion\": \"c\"}\n");
        Path out = tmp.resolve("run");
        Result none = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--max-steps", "1", "--max-length", "8");
        assertEquals(2, none.code(), none.out());
        assertEquals("error: " + data + ": none of the first 2 rows has a trained token left after truncation at max_length 8;"
                + " raise --max-length\n", none.err());
        assertFalse(Files.exists(out), "refused before anything is written");

        Files.writeString(data, "{\"prompt\": \"x\", \"completion\": \"b\"}\n"
                + "{\"prompt\": \"" + longPrompt + "\", \"completion\": \"c\"}\n");
        Result some = align("sft", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--max-steps", "1", "--max-length", "8", "--batch-size", "2");
        assertEquals(0, some.code(), some.err());
        assertTrue(some.out().contains("examples truncated at max_length 8: 1 of 2 seen"), some.out());
        assertTrue(some.out().contains("(trained on nothing): 1 of 2 seen"), some.out());

        Result fits = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out",
                tmp.resolve("run2").toString(), "--max-steps", "1");
        assertEquals(0, fits.code(), fits.err());
        assertFalse(fits.out().contains("truncated"), "no truncation line when nothing was cut: " + fits.out());
        assertFalse(fits.out().contains("trained on nothing"), fits.out());
    }

    @Test
    void aRunsConfigYamlIsAReusableConfig(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path out = tmp.resolve("run");
        Result first = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString(),
                "--max-steps", "1", "--learning-rate", "0.003", "--max-length", "64");
        assertEquals(0, first.code(), first.err());
        Path out2 = tmp.resolve("run2");
        Result again = align("sft", "--config", out.resolve("config.yaml").toString(), "--out", out2.toString(),
                "--max-steps", "1");
        assertEquals(0, again.code(), again.err());
        assertEquals(Files.readString(out.resolve("config.yaml")), Files.readString(out2.resolve("config.yaml")),
                "the same resolved settings");

        Result other = align("dpo", "--config", out.resolve("config.yaml").toString(), "--out", tmp.resolve("run3").toString());
        assertEquals(2, other.code());
        assertEquals("error: " + out.resolve("config.yaml") + ": key 'command': the file is for 'align sft', not 'align dpo'\n",
                other.err());

        Result flagWins = align("sft", "--config", out.resolve("config.yaml").toString(), "--out", tmp.resolve("run4").toString(),
                "--max-steps", "1", "--model", tmp.resolve("absent").toString());
        assertEquals(2, flagWins.code());
        assertTrue(flagWins.err().contains(tmp.resolve("absent").toString()), "--model overrides the file's model: " + flagWins.err());

        Result missing = align("sft", "--data", sftData(tmp).toString(), "--out", tmp.resolve("run5").toString());
        assertEquals(2, missing.code());
        assertEquals("error: missing required option '--model' (or key 'model' in --config)\n", missing.err());
    }

    @Test
    void parameterErrorsAreOneLineWithAHintAndExitCode2(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        String m = model.toString();
        for (String[] args : List.of(new String[] {"generate", "--model", m, "--prompt", "x", "--seed", "abc"},
                new String[] {"generate", "--model", m, "--prompt", "x", "--bogus", "1"},
                new String[] {"generate", "--prompt", "x"},
                new String[] {"sft", "--model", m, "--data", "d", "--out", "o", "--packing", "maybe"})) {
            Result r = align(args);
            assertEquals(2, r.code(), String.join(" ", args));
            List<String> lines = r.err().lines().toList();
            assertEquals(2, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith("error: "), r.err());
            assertEquals("(see 'align " + args[0] + " --help')", lines.get(1));
            assertEquals("", r.out());
        }
        assertTrue(align("generate", "--model", m, "--prompt", "x", "--seed", "abc").err().contains("'abc'"));

        Result twice = align("generate", "--model", m, "--prompt", "x", "--max-new-tokens", "5", "--max-new-tokens", "1",
                "--temperature", "0", "--json");
        assertEquals(0, twice.code(), twice.err());
        assertEquals(1, Json.MAPPER.readTree(twice.out()).get("token_ids").size(), "the last value wins");

        Result bare = align();
        assertEquals(2, bare.code());
        assertTrue(bare.err().contains("Usage: align"), bare.err());

        Path data = tmp.resolve("bad.jsonl");
        Files.writeString(data, "{\"prompt\": \"a\", \"completion\": \"b\"\n");
        Result json = align("sft", "--model", m, "--data", data.toString(), "--out", tmp.resolve("run").toString());
        assertEquals(2, json.code());
        assertEquals(1, json.err().lines().count(), json.err());
        assertTrue(json.err().startsWith("error: " + data + ":1: invalid JSON: "), json.err());
        assertFalse(json.err().contains("Source"), json.err());
    }

    @Test
    void generateNamesEachRowsPromptRefusesTooLongPromptsForEveryFamilyAndWarnsOfIdenticalGreedySamples(@TempDir Path tmp)
            throws Exception {
        String dir = tmp.resolve("llama").toString();
        assertEquals(0, align("init", "--arch", "llama", "--layers", "1", "--hidden", "32", "--heads", "2", "--kv-heads", "1",
                "--max-positions", "64", "--out", dir).code());
        Result rows = align("generate", "--model", dir, "--prompt", "Hi", "--prompt", "Yo", "--max-new-tokens", "2", "--json",
                "--chat");
        assertEquals(0, rows.code(), rows.err());
        List<JsonNode> json = rows.out().lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertEquals(2, json.size());
        for (JsonNode row : json) {
            int i = row.get("prompt_index").asInt();
            assertEquals(List.of("Hi", "Yo").get(i), row.get("prompt").asText());
            assertTrue(row.get("prompt_text").asText().contains(row.get("prompt").asText()), row.toString());
        }
        assertEquals(java.util.Set.of(0, 1), java.util.Set.of(json.get(0).get("prompt_index").asInt(),
                json.get(1).get("prompt_index").asInt()));

        Result tooLong = align("generate", "--model", dir, "--prompt", "x".repeat(60), "--max-new-tokens", "8");
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().startsWith("error: prompt plus new tokens (") && tooLong.err().contains(
                "exceed max_position_embeddings (64)"), tooLong.err());
        assertEquals(1, tooLong.err().lines().count(), tooLong.err());

        Result greedy = align("generate", "--model", dir, "--prompt", "x", "--max-new-tokens", "2", "--num-generations", "2",
                "--temperature", "0");
        assertEquals(0, greedy.code(), greedy.err());
        assertEquals("warning: --temperature 0 is greedy: the 2 samples of each prompt are identical\n", greedy.err());
    }

    @Test
    void settingsThatCannotServeTheRunAreRefusedAndHelpShowsDefaults(@TempDir Path tmp) throws Exception {
        Path model = tinyModel(tmp);
        Path out = tmp.resolve("run");
        Result eval = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString(),
                "--eval-steps", "5");
        assertEquals(2, eval.code());
        assertEquals("error: eval_steps is 5 but there is no --eval-data to evaluate\n", eval.err());
        Result beta = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString(),
                "--adam-beta2", "1");
        assertEquals(2, beta.code());
        assertEquals("error: command line: key 'adam_beta2': must be in [0, 1), got 1.0\n", beta.err());
        Result range = align("sft", "--model", model.toString(), "--data", sftData(tmp).toString(), "--out", out.toString(),
                "--max-steps", "99999999999");
        assertEquals("error: command line: key 'max_steps': out of range for an int: 99999999999\n", range.err());
        assertFalse(Files.exists(out));

        String generate = align("generate", "--help").out().replaceAll("\\s+", " ");
        assertTrue(generate.contains("Default: 64"), "--max-new-tokens' default: " + generate);
        assertTrue(generate.contains("--device") && generate.contains("Default: 1.0"), generate);
        String evalHelp = align("eval", "--help").out().replaceAll("\\s+", " ");
        assertTrue(evalHelp.contains("Default: 48") && evalHelp.contains("Default: kind,family"), evalHelp);
        String dpo = align("dpo", "--help").out();
        assertFalse(dpo.contains(".txt"), dpo);
    }
}
