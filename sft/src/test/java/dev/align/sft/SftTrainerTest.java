package dev.align.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import dev.align.core.io.Json;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftTrainerTest {
    static NDManager manager;
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        manager = OfflineDjl.newManager();
        data = tmp.resolve("sft.jsonl");
        List<String> lines = new ArrayList<>();
        for (int a = 0; a < 8; a++) {
            for (int b = 0; b < 8; b++) {
                lines.add("{\"prompt\": \"" + a + "+" + b + "=\", \"completion\": \"" + (a + b) + "\"}");
            }
        }
        Files.write(data, lines);
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    static TransformerPolicy model() {
        return TransformerPolicy.initialize(manager,
                ModelConfig.llama("llama", ByteLevelVocabulary.SIZE, 32, 2, 4, 2, 64, 64, false), Tokenizer.byteLevel(), 5);
    }

    static final TrainingConfig CONFIG = TrainingConfig.DEFAULTS.with(Map.ofEntries(Map.entry("learning_rate", 3e-3),
            Map.entry("max_steps", 12), Map.entry("per_device_train_batch_size", 4),
            Map.entry("gradient_accumulation_steps", 2), Map.entry("warmup_steps", 2), Map.entry("logging_steps", 2),
            Map.entry("save_steps", 3), Map.entry("save_total_limit", 2), Map.entry("max_length", 32), Map.entry("seed", 3),
            Map.entry("full_determinism", true)), "test");

    static List<String> metrics(Path out) throws Exception {
        return Files.readAllLines(out.resolve(Trainer.METRICS));
    }

    /** The numbers that must match; timings naturally differ. */
    static List<String> numbers(List<String> lines) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            @SuppressWarnings("unchecked")
            Map<String, Object> row = Json.MAPPER.readValue(l, Map.class);
            row.remove("tokens_per_second");
            out.add(row.toString());
        }
        return out;
    }

    private Trainer.Result run(Path out, boolean resume, Progress.Factory progress) {
        try (Dataset d = Dataset.open(data, Format.SFT, false); TransformerPolicy m = model()) {
            return new SftTrainer(m, new SftConfig(CONFIG, false, false, false)).train(d, null, out, CONFIG.asMap(), resume,
                    progress);
        }
    }

    @Test
    void killedRunResumesFromItsLastCheckpointWithIdenticalNumbers() throws Exception {
        Path straight = tmp.resolve("straight");
        run(straight, false, Progress.Factory.NONE);
        List<String> expected = numbers(metrics(straight));
        assertEquals(6, expected.size()); // logging_steps 2 does not divide save_steps 3: step 10 averages steps 9 and 10

        Path killed = tmp.resolve("killed");
        Progress.Factory crashAt10 = (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tps) {
                if (step >= 11) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
        assertThrows(IllegalStateException.class, () -> run(killed, false, crashAt10));
        assertTrue(Files.isDirectory(killed.resolve("checkpoint-9")), "last checkpoint before the kill");
        assertTrue(Files.isDirectory(killed.resolve("checkpoint-6")) && !Files.exists(killed.resolve("checkpoint-3")),
                "save_total_limit 2 keeps the last two");
        BadInputException refused = assertThrows(BadInputException.class, () -> Trainer.checkOutput(killed, false, false));
        assertTrue(refused.getMessage().contains("holds an unfinished run; pass --resume"), refused.getMessage());

        run(killed, true, Progress.Factory.NONE);
        assertEquals(expected, numbers(metrics(killed)));
        try (TransformerPolicy a = ModelDirectory.load(straight, manager); TransformerPolicy b = ModelDirectory.load(killed, manager)) {
            for (String name : a.parameters().keySet()) {
                assertArrayEquals(a.parameters().get(name).toFloatArray(), b.parameters().get(name).toFloatArray(), name);
            }
        }
        BadInputException finished = assertThrows(BadInputException.class, () -> Trainer.checkOutput(killed, false, false));
        assertTrue(finished.getMessage().contains("holds a finished run; pass --overwrite"), finished.getMessage());
    }

    @Test
    void sftLearnsAdditionAndLogsTrlMetrics() throws Exception {
        Path out = tmp.resolve("learn");
        TrainingConfig longer = CONFIG.with(Map.of("max_steps", 300, "save_steps", 0, "logging_steps", 10, "eval_steps", 150,
                "learning_rate", 1e-2, "warmup_steps", 10, "eval_on_start", true), "test"); // full_determinism from CONFIG: the same numbers every run
        try (Dataset d = Dataset.open(data, Format.SFT, false); TransformerPolicy m = model()) {
            Trainer.Result r = new SftTrainer(m, new SftConfig(longer, false, false, false)).train(d, d, out, Map.of(),
                    false, Progress.Factory.NONE);
            var start = Json.MAPPER.readTree(metrics(out).get(0)); // eval_on_start: the starting model, as step 0
            assertEquals(0, start.get("step").asInt());
            assertTrue(!start.has("loss") && start.has("eval/loss"), start.toString());
            var first = Json.MAPPER.readTree(metrics(out).get(1));
            var last = Json.MAPPER.readTree(metrics(out).get(metrics(out).size() - 1));
            for (String key : List.of("step", "epoch", "loss", "learning_rate", "grad_norm", "tokens_per_second",
                    "mean_token_accuracy")) {
                assertTrue(first.has(key), key);
            }
            assertTrue(last.has("eval/loss") && last.has("eval/mean_token_accuracy"), last.toString());
            assertTrue(last.get("loss").asDouble() < first.get("loss").asDouble() / 3,
                    "loss " + first.get("loss") + " -> " + last.get("loss"));
            assertTrue(last.get("eval/mean_token_accuracy").asDouble() > 0.9, last.toString());
            assertTrue(start.get("eval/loss").asDouble() > 3 * last.get("eval/loss").asDouble(), start + " -> " + last);
            assertEquals(300, r.steps());
        }
        assertTrue(Files.exists(out.resolve("config.yaml")) && Files.exists(out.resolve("model.safetensors")));
    }
}
