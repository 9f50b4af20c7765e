package dev.align.core.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.engine.EngineException;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.Functional;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RolloutEngineTest extends EngineTest {

    private static final List<int[]> TEXTS = List.of(bytes("Hello"), bytes("Is 2+2 four?"), bytes("x"),
            bytes("The capital of France"), bytes("ok then"));

    @Test
    void greedyDecodingEqualsRecomputationWithoutCacheTokenForToken() {
        for (TransformerPolicy model : TinyModels.all(manager, 21)) {
            List<Rollout> batched = new RolloutEngine(model).generate(Prompt.numbered(TEXTS), RolloutConfig.greedy(20));
            for (int i = 0; i < TEXTS.size(); i++) {
                Rollout r = batched.get(i);
                float[] logProbs = new float[20];
                int[] reference = recomputeGreedy(model, TEXTS.get(i), 20, List.of(), logProbs);
                assertArrayEquals(reference, r.completionIds(), model.config().modelType() + " prompt " + i);
                assertArrayEquals(Arrays.copyOf(logProbs, reference.length), r.logProbs(), 1e-4f);
            }
            model.close();
        }
    }

    @Test
    void rowsThatFinishEarlyDropOutWithoutChangingTheOthers() {
        try (TransformerPolicy model = TinyModels.llama(manager, 4)) {
            RolloutEngine engine = new RolloutEngine(model);
            List<Rollout> free = engine.generate(Prompt.numbered(TEXTS), RolloutConfig.greedy(24));
            // Make early tokens of two prompts end-of-sequence tokens, so rows finish at different steps.
            List<Integer> eos = List.of(free.get(0).completionIds()[2], free.get(3).completionIds()[5]);
            RolloutConfig cfg = RolloutConfig.greedy(24).withEosTokenIds(eos);
            List<Rollout> ended = engine.generate(Prompt.numbered(TEXTS), cfg);
            int finishedEarly = 0;
            for (int i = 0; i < TEXTS.size(); i++) {
                int[] reference = recomputeGreedy(model, TEXTS.get(i), 24, eos, new float[24]);
                assertArrayEquals(reference, ended.get(i).completionIds(), "prompt " + i);
                boolean eosEnd = ended.get(i).finishReason() == FinishReason.EOS;
                assertEquals(reference.length < 24 || eos.contains(reference[23]), eosEnd);
                finishedEarly += reference.length < 24 ? 1 : 0;
            }
            assertTrue(finishedEarly >= 2, "the test needs rows that finish early");
        }
    }

    @Test
    void aSamplesCompletionDependsOnlyOnSeedPromptIndexAndSampleIndex() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 8)) {
            RolloutEngine engine = new RolloutEngine(model);
            RolloutConfig cfg = RolloutConfig.sampling(12, 1f, 0, 0.9f, 0f).withNumGenerations(3).withSeed(7);
            List<Prompt> five = Prompt.numbered(TEXTS);
            List<Rollout> together = engine.generate(five, cfg);
            // Alone, in another order with other prompts, and in batches of at most 2 rows.
            List<Prompt> shuffled = new ArrayList<>(List.of(new Prompt(9, bytes("other")), five.get(4), five.get(1),
                    new Prompt(8, bytes("another longer prompt")), five.get(3), five.get(0), five.get(2)));
            List<Rollout> mixed = engine.generate(shuffled, cfg);
            List<Rollout> small = engine.generate(five, cfg.withMaxBatchSize(2));
            for (int i = 0; i < five.size(); i++) {
                List<Rollout> alone = engine.generate(List.of(five.get(i)), cfg);
                for (int g = 0; g < 3; g++) {
                    Rollout expected = together.get(i * 3 + g);
                    assertEquals(i, expected.promptIndex());
                    assertEquals(g, expected.sampleIndex());
                    assertArrayEquals(expected.completionIds(), alone.get(g).completionIds(), "alone " + i + "/" + g);
                    assertArrayEquals(expected.completionIds(), small.get(i * 3 + g).completionIds());
                    Rollout m = find(mixed, i, g);
                    assertArrayEquals(expected.completionIds(), m.completionIds(), "mixed " + i + "/" + g);
                    assertArrayEquals(expected.logProbs(), m.logProbs(), 1e-4f);
                }
                assertNotEquals(Arrays.toString(together.get(i * 3).completionIds()),
                        Arrays.toString(together.get(i * 3 + 1).completionIds()), "samples of one prompt differ");
            }
            List<Rollout> otherSeed = engine.generate(five, cfg.withSeed(8));
            assertFalse(Arrays.equals(together.get(0).completionIds(), otherSeed.get(0).completionIds()));
        }
    }

    @Test
    void sampledLogProbsAreTheModelsLogProbsAtTheSamplingTemperature() {
        try (TransformerPolicy model = TinyModels.qwen2(manager, 3); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Rollout r = new RolloutEngine(model).generate(Prompt.numbered(List.of(TEXTS.get(1))),
                    RolloutConfig.sampling(12, 0.7f, 0, 1f, 0f).withSeed(4)).get(0);
            int[] all = r.ids();
            NDArray ids = manager.create(Arrays.stream(all).asLongStream().toArray(), new Shape(1, all.length));
            NDArray logits = model.logits(ids, manager.ones(new Shape(1, all.length))).div(0.7f);
            int p = r.promptIds().length;
            NDArray scored = Functional.tokenLogProbs(logits.get(new NDIndex(":, {}:-1", p - 1)),
                    ids.get(new NDIndex(":, {}:", p)));
            assertArrayEquals(scored.toFloatArray(), r.logProbs(), 1e-4f);
        }
    }

    @Test
    void promptsWithTheSameIndexAreRejected() {
        // The same index means the same random numbers: G copies of a prompt would get G identical samples.
        try (TransformerPolicy model = TinyModels.llama(manager, 1)) {
            List<Prompt> copies = List.of(new Prompt(0, TEXTS.get(0)), new Prompt(1, TEXTS.get(1)), new Prompt(0, TEXTS.get(0)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new RolloutEngine(model).generate(copies, RolloutConfig.sampling(4, 1f, 0, 1f, 0f)));
            assertTrue(e.getMessage().contains("prompt index 0"), e.getMessage());
        }
    }

    @Test
    void stopsAtEosStopStringsAndLength() {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 9)) {
            // Make every position predict EOS: hidden = LN_f bias = a scaled copy of EOS's embedding.
            int eos = model.tokenizer().eosIds()[0];
            NDArray wte = model.parameters().get("transformer.wte.weight");
            NDArray eosRow = wte.get(new NDIndex("{}", eos)).mul(10f);
            wte.set(new NDIndex("{}", eos), eosRow);
            model.parameters().get("transformer.ln_f.weight").muli(0f);
            model.parameters().get("transformer.ln_f.bias").set(eosRow.toFloatArray());
            Rollout out = new RolloutEngine(model).generate(Prompt.numbered(List.of(TEXTS.get(0))),
                    RolloutConfig.greedy(10)).get(0);
            assertEquals(FinishReason.EOS, out.finishReason());
            assertArrayEquals(new int[] {eos}, out.completionIds());
            assertEquals("", out.text());
            assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1}, out.completionMask());
        }
        try (TransformerPolicy model = TinyModels.llama(manager, 1)) {
            RolloutEngine engine = new RolloutEngine(model);
            Rollout free = engine.generate(Prompt.numbered(List.of(TEXTS.get(0))), RolloutConfig.greedy(30)).get(0);
            assertEquals(FinishReason.LENGTH, free.finishReason());
            assertEquals(30, free.completionIds().length);
            String stop = free.text().substring(6, 9); // several tokens: found across tokens
            int end = 1; // the completion keeps the tokens up to the one that completes the stop string
            while (!model.tokenizer().decode(Arrays.copyOf(free.completionIds(), end), true).contains(stop)) end++;
            Rollout cut = engine.generate(Prompt.numbered(List.of(TEXTS.get(0))),
                    RolloutConfig.greedy(30).withStopStrings(List.of("never there", stop))).get(0);
            assertEquals(FinishReason.STOP, cut.finishReason());
            assertEquals(free.text().substring(0, free.text().indexOf(stop)), cut.text());
            assertArrayEquals(Arrays.copyOf(free.completionIds(), end), cut.completionIds());
        }
    }

    @Test
    void generationOnAFreshThreadBuildsNoAutogradGraph() throws Exception {
        try (TransformerPolicy model = TinyModels.llama(manager, 2)) {
            model.setTrainable(true);
            AtomicBoolean graph = new AtomicBoolean(false);
            PolicyModel watched = recordingGradients(model, graph);
            // Sanity: on a new thread PyTorch records gradients by default.
            onNewThread(() -> {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray ids = manager.create(new long[] {1, 2, 3}, new Shape(1, 3));
                    assertTrue(buildsGraph(model.logits(ids, manager.ones(new Shape(1, 3)))));
                }
            });
            onNewThread(() -> {
                new RolloutEngine(watched).generate(Prompt.numbered(TEXTS), RolloutConfig.greedy(5));
                assertTrue(JniUtils.isGradMode(), "the thread's grad mode is restored afterwards");
            });
            assertFalse(graph.get(), "logits required grad: an autograd graph was built");
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    @Test
    void theTrainingBatchLeftPadsPromptsAndRightPadsCompletions() {
        Rollout a = new Rollout(0, 0, new int[] {5, 6}, new int[] {7, 8, 9}, new float[] {-1f, -2f, -3f},
                FinishReason.LENGTH, "");
        Rollout b = new Rollout(1, 0, new int[] {4, 5, 6}, new int[] {2}, new float[] {-0.5f}, FinishReason.EOS, "");
        RolloutBatch batch = RolloutBatch.of(List.of(a, b), 0);
        assertEquals(3, batch.promptColumns());
        assertEquals(3, batch.completionColumns());
        assertArrayEquals(new long[] {0, 5, 6, 7, 8, 9, 4, 5, 6, 2, 0, 0}, batch.ids());
        assertArrayEquals(new long[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, batch.attentionMask());
        assertArrayEquals(new float[] {1, 1, 1, 1, 0, 0}, batch.completionMask());
        assertArrayEquals(new float[] {-1, -2, -3, -0.5f, 0, 0}, batch.logProbs());
        assertEquals(new Shape(2, 6), batch.ids(manager).getShape());
        assertEquals(new Shape(2, 3), batch.logProbs(manager).getShape());
    }

    /** Greedy tokens of one unpadded prompt, recomputing every position each step (no cache, no batch). */
    private static int[] recomputeGreedy(PolicyModel model, int[] prompt, int maxNew, List<Integer> extraEos,
            float[] logProbs) {
        List<Integer> seq = new ArrayList<>();
        for (int t : prompt) seq.add(t);
        List<Integer> eos = extraEos.isEmpty() ? Arrays.stream(model.tokenizer().eosIds()).boxed().toList() : extraEos;
        int[] out = new int[maxNew];
        int n = 0;
        while (n < maxNew) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray ids = manager.create(seq.stream().mapToLong(Integer::longValue).toArray(), new Shape(1, seq.size()));
                float[] last = model.logits(ids, manager.ones(new Shape(1, seq.size())))
                        .get(new NDIndex("0, -1")).logSoftmax(0).toFloatArray();
                int best = 0;
                for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
                logProbs[n] = last[best];
                out[n++] = best;
                seq.add(best);
                if (eos.contains(best)) break;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The model, with a flag set when any logits it returns require gradients. */
    private static PolicyModel recordingGradients(PolicyModel model, AtomicBoolean graph) {
        return (PolicyModel) Proxy.newProxyInstance(PolicyModel.class.getClassLoader(), new Class<?>[] {PolicyModel.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(model, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("logits") && buildsGraph((NDArray) result)) graph.set(true);
                    return result;
                });
    }

    /**
     * Whether an autograd graph leads to x: backward succeeds. (DJL's requiresGrad reads false even for
     * results with a grad_fn, and asking for the grad_fn's name of a tensor without one crashes.)
     */
    private static boolean buildsGraph(NDArray x) {
        PtNDArray sum = (PtNDArray) x.sum();
        try {
            JniUtils.backward(sum, (PtNDArray) sum.onesLike(), false, false);
            return true;
        } catch (EngineException e) {
            return false; // "element 0 of tensors does not require grad and does not have a grad_fn"
        }
    }

    private static void onNewThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    private static Rollout find(List<Rollout> rollouts, long prompt, int sample) {
        return rollouts.stream().filter(r -> r.promptIndex() == prompt && r.sampleIndex() == sample).findFirst().orElseThrow();
    }

    private static int[] bytes(String s) {
        return ByteLevelVocabulary.bytesOf(s);
    }
}
