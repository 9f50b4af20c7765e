package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.engine.PtNDArray;
import dev.align.core.BadInputException;
import dev.align.core.EngineTest;
import dev.align.core.OfflineDjl;
import dev.align.core.TinyModels;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Safetensors;
import dev.align.core.model.TransformerPolicy;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the trainer refuses or cleans up, and what it runs without gradients. */
class TrainerGuardsTest extends EngineTest {
    @TempDir Path tmp;

    static final TrainingConfig ONLINE_CONFIG = TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 1e-3, "max_steps", 2,
            "gradient_accumulation_steps", 2, "logging_steps", 1, "eval_steps", 1, "save_steps", 0, "seed", 3), "test");

    /** An online objective of {@code rows} rows whose collection and evaluation run a forward pass and note whether it recorded a graph. */
    static final class Probe implements OnlineObjective<Probe.Batch> {
        record Batch(int rows, Map<String, Double> metrics) implements Experience {}

        final int rows;
        boolean recorded, graph, evalGraph;
        final List<Integer> microBatchRows = new ArrayList<>();

        Probe(int rows) {
            this.rows = rows;
        }

        static NDArray forward(PolicyModel policy) {
            NDArray ids = policy.manager().create(new long[] {1, 2, 3}, new Shape(1, 3));
            return policy.logits(ids, policy.manager().ones(new Shape(1, 3)));
        }

        @Override
        public Batch collect(Modules modules, long step) {
            recorded |= OfflineDjl.isRecording();
            graph |= buildsGraph(forward(modules.policy()));
            return new Batch(rows, Map.of());
        }

        @Override
        public Step loss(Modules modules, Batch experience, int[] rows) {
            microBatchRows.add(rows.length);
            return new Step(forward(modules.policy()).mean(), null, Map.of());
        }

        @Override
        public Map<String, Object> state() {
            return Map.of();
        }

        @Override
        public void restore(Map<String, Object> state) {}

        @Override
        public Map<String, Double> evaluate(Modules modules) {
            evalGraph |= buildsGraph(forward(modules.policy()));
            return Map.of("eval/probe", 1.0);
        }
    }

    /** Whether an autograd graph leads to x: backward succeeds (as RolloutEngineTest probes it). */
    static boolean buildsGraph(NDArray x) {
        PtNDArray sum = (PtNDArray) x.sum();
        try {
            JniUtils.backward(sum, (PtNDArray) sum.onesLike(), false, false);
            return true;
        } catch (EngineException e) {
            return false;
        }
    }

    private void trainOnline(Probe probe, OnlineConfig online, Path out) {
        try (TransformerPolicy policy = TinyModels.llama(manager, 3)) {
            new Trainer("probe", policy, null, probe, ONLINE_CONFIG, online, out, Map.of(), Progress.Factory.NONE).train(false);
        }
    }

    @Test
    void collectionAndEvaluationRecordNoGraphOnAThreadThatRecords() throws Exception {
        Probe probe = new Probe(8);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                assertTrue(OfflineDjl.isRecording(), "sanity: a new thread records gradients by default");
                trainOnline(probe, new OnlineConfig(2, 1, 0), tmp.resolve("run"));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        assertNull(failure.get());
        assertFalse(probe.recorded, "collect ran with recording on");
        assertFalse(probe.graph, "collect's forward pass built an autograd graph");
        assertFalse(probe.evalGraph, "evaluate's forward pass built an autograd graph");
        assertEquals(List.of(2, 2, 2, 2, 2, 2, 2, 2), probe.microBatchRows, "8 rows: 2 mini-batches × 2 micro-batches of 2, 2 steps");
    }

    @Test
    void rowsThatDoNotSplitEvenlyAreRefused() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> trainOnline(new Probe(5), new OnlineConfig(2, 1, 0), tmp.resolve("run")));
        assertEquals("online training: a batch of 5 rows does not split evenly into num_mini_batches (2) × "
                + "gradient_accumulation_steps (2) micro-batches; make the rows per step a multiple of 4", e.getMessage());
    }

    // ---- offline: overwrite, corrupt checkpoints, changed settings ----

    static final TrainingConfig OFFLINE = SkippedStepTest.CONFIG.with(Map.of("max_steps", 4, "save_steps", 1), "test");

    private void trainOffline(Path out, TrainingConfig config, boolean resume, long killAt) {
        Progress.Factory progress = (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tps) {
                if (step == killAt) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
        try (TransformerPolicy model = TinyModels.llama(manager, 9)) {
            new Trainer("test", model, new SkippedStepTest.PoisonedObjective(10), config, out, Map.of(), progress).train(resume);
        }
    }

    @Test
    void overwritingARunRemovesItsStaleCritic() throws Exception {
        Path out = tmp.resolve("run");
        Files.createDirectories(out.resolve(Trainer.CRITIC));
        Files.writeString(out.resolve(Trainer.CRITIC).resolve("model.safetensors"), "an old critic");
        trainOffline(out, OFFLINE.with(Map.of("save_steps", 0), "test"), false, -1);
        assertFalse(Files.exists(out.resolve(Trainer.CRITIC)), "critic/ of the replaced run");
        assertTrue(Files.exists(out.resolve("model.safetensors")));
    }

    @Test
    void aMissingSecondMomentIsOneLineNamingTheFile() throws Exception {
        Path out = tmp.resolve("run");
        assertThrows(IllegalStateException.class, () -> trainOffline(out, OFFLINE, false, 3));
        Path file = out.resolve("checkpoint-2").resolve(Trainer.OPTIMIZER);
        Map<String, Safetensors.Tensor> moments = new LinkedHashMap<>(Safetensors.read(file));
        String dropped = moments.keySet().stream().filter(k -> k.startsWith("exp_avg_sq.")).findFirst().orElseThrow();
        moments.remove(dropped);
        Map<String, String> metadata = Safetensors.metadata(file);
        try (OutputStream os = Files.newOutputStream(file)) {
            Safetensors.write(os, moments, Safetensors.DType.F32, metadata);
        }
        BadInputException e = assertThrows(BadInputException.class, () -> trainOffline(out, OFFLINE, true, -1));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(dropped), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void resumingWithSettingsThatChangeTheNumbersIsRefused() throws Exception {
        Path out = tmp.resolve("run");
        assertThrows(IllegalStateException.class, () -> trainOffline(out, OFFLINE, false, 3));
        Path state = out.resolve("checkpoint-2").resolve(Trainer.STATE);
        for (Map.Entry<String, Object> change : List.<Map.Entry<String, Object>>of(Map.entry("seed", 6), Map.entry("max_steps", 5),
                Map.entry("per_device_train_batch_size", 1), Map.entry("gradient_accumulation_steps", 2),
                Map.entry("lr_scheduler_type", "linear"))) {
            TrainingConfig changed = OFFLINE.with(Map.of(change.getKey(), change.getValue()), "test");
            BadInputException e = assertThrows(BadInputException.class, () -> trainOffline(out, changed, true, -1),
                    change.getKey());
            assertTrue(e.getMessage().startsWith(state + ": ") && e.getMessage().contains(change.getKey()), e.getMessage());
        }
        trainOffline(out, OFFLINE.with(Map.of("logging_steps", 2), "test"), true, -1); // logging does not change the numbers
    }
}
