package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One non-finite step is skipped and training goes on; the optimizer's own step count survives a resume. */
class SkippedStepTest extends EngineTest {
    static final int POISONED = 3; // the optimizer step (1-based) whose loss is multiplied by +Inf
    @TempDir Path tmp;

    static final TrainingConfig CONFIG = TrainingConfig.DEFAULTS.with(Map.ofEntries(Map.entry("learning_rate", 1e-2),
            Map.entry("max_steps", 8), Map.entry("per_device_train_batch_size", 2), Map.entry("warmup_steps", 1),
            Map.entry("logging_steps", 1), Map.entry("save_steps", 2), Map.entry("save_total_limit", 2),
            Map.entry("seed", 5), Map.entry("full_determinism", true)), "test");

    static final List<int[]> ROWS = List.of(ByteLevelVocabulary.bytesOf("the cat sat on the mat."),
            ByteLevelVocabulary.bytesOf("two plus two is four."), ByteLevelVocabulary.bytesOf("seven is prime."),
            ByteLevelVocabulary.bytesOf("paris is in france."));

    /** Next-token loss; the loss of optimizer step {@link #POISONED} is multiplied by +Inf. Records the first weight tensor at every step. */
    static final class PoisonedObjective implements Objective {
        long step; // optimizer steps taken before this call
        final List<float[]> weightsAtStep = new ArrayList<>();

        PoisonedObjective(long startStep) {
            this.step = startStep;
        }

        @Override
        public int size() {
            return ROWS.size();
        }

        @Override
        public Step loss(PolicyModel model, int[] examples) {
            step++;
            weightsAtStep.add(model.parameters().values().iterator().next().toFloatArray());
            List<int[]> rows = new ArrayList<>();
            for (int i : examples) rows.add(ROWS.get(i));
            NDArray[] b = TinyModels.batch(model.manager(), rows, model.tokenizer().padId(), false);
            NDArray loss = CausalLmLoss.mean(model, b[0], b[1], null);
            return new Step(step == POISONED ? loss.mul(Float.POSITIVE_INFINITY) : loss, Map.of(), 0);
        }

        @Override
        public Map<String, Double> evaluate(PolicyModel model) {
            return Map.of();
        }
    }

    private static Progress.Factory killAt(long killStep) {
        return (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tps) {
                if (step == killStep) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
    }

    private PoisonedObjective run(Path out, boolean resume, long startStep, Progress.Factory progress) {
        PoisonedObjective objective = new PoisonedObjective(startStep);
        try (TransformerPolicy model = TinyModels.llama(manager, 9)) {
            new Trainer("test", model, objective, CONFIG, out, Map.of(), progress).train(resume);
        }
        return objective;
    }

    @Test
    void aSkippedStepDoesNotFreezeTrainingAndResumesBitExactly() throws Exception {
        Path straight = tmp.resolve("straight");
        PoisonedObjective o = run(straight, false, 0, Progress.Factory.NONE);
        List<float[]> w = o.weightsAtStep; // w.get(i): weights before step i+1
        assertArrayEquals(w.get(POISONED - 1), w.get(POISONED), "the poisoned step is skipped: weights unchanged");
        assertFalse(Arrays.equals(w.get(POISONED), w.get(POISONED + 1)), "the step after a skipped one updates the weights");
        assertFalse(Arrays.equals(w.get(POISONED + 1), w.get(POISONED + 2)), "and so does the next");

        List<Map<String, Object>> rows = rows(straight);
        assertEquals(8, rows.size());
        for (Map<String, Object> row : rows) {
            long step = ((Number) row.get("step")).longValue();
            if (step >= POISONED) assertEquals(1, ((Number) row.get("skipped_steps")).intValue(), row.toString());
            if (step > POISONED) {
                assertTrue(Double.isFinite(((Number) row.get("grad_norm")).doubleValue()), "finite grad_norm after the skip: " + row);
            }
        }

        Path killed = tmp.resolve("killed");
        assertThrows(IllegalStateException.class, () -> run(killed, false, 0, killAt(5)));
        Path checkpoint = killed.resolve("checkpoint-4");
        assertEquals(4, Json.readObject(checkpoint.resolve(Trainer.STATE)).get("global_step").asLong());
        assertEquals("3", optimizerMetadata(checkpoint.resolve(Trainer.OPTIMIZER)).get("step").asText(),
                "AdamW took one update fewer than global_step");
        run(killed, true, 4, Progress.Factory.NONE);
        assertEquals(numbers(straight), numbers(killed));
        try (TransformerPolicy a = ModelDirectory.load(straight, manager); TransformerPolicy b = ModelDirectory.load(killed, manager)) {
            for (String name : a.parameters().keySet()) {
                assertArrayEquals(a.parameters().get(name).toFloatArray(), b.parameters().get(name).toFloatArray(), name);
            }
        }
    }

    /** The {@code __metadata__} of a safetensors header, read independently of the code under test. */
    static com.fasterxml.jackson.databind.JsonNode optimizerMetadata(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Json.MAPPER.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8)).get("__metadata__");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rows(Path out) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve(Trainer.METRICS))) rows.add(Json.MAPPER.readValue(l, Map.class));
        return rows;
    }

    /** Metric lines without the timing fields (tokens_per_second, time/...). */
    static List<String> numbers(Path out) throws Exception {
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> row : rows(out)) {
            row.remove("tokens_per_second");
            row.keySet().removeIf(k -> k.startsWith("time/"));
            lines.add(row.toString());
        }
        return lines;
    }
}
