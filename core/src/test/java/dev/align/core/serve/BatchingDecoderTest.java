package dev.align.core.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.FinishReason;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchingDecoderTest extends EngineTest {

    record Request(List<int[]> prompts, RolloutConfig config) {}

    @Test
    void requestsWaitingTogetherDecodeInOneCallPerSettingsAndEachGetsItsOwnSeedsSamples() throws Exception {
        RolloutConfig sampling = RolloutConfig.sampling(10, 1f, 0, 0.9f, 0).withNumGenerations(2);
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            requests.add(new Request(List.of(ByteLevelVocabulary.bytesOf("Prompt " + i), ByteLevelVocabulary.bytesOf("x" + i)),
                    sampling.withSeed(i)));
        }
        requests.add(new Request(List.of(ByteLevelVocabulary.bytesOf("Same seed as request 2")), sampling.withSeed(2)));
        requests.add(new Request(List.of(ByteLevelVocabulary.bytesOf("Other settings")), RolloutConfig.greedy(6)));
        Object lock = new Object();
        try (TransformerPolicy model = TinyModels.llama(manager, 6); BatchingDecoder decoder = new BatchingDecoder(new RolloutEngine(model), lock)) {
            List<Future<List<Rollout>>> answers = new ArrayList<>();
            synchronized (lock) { // the first request's call waits for the lock; the others queue up behind it
                answers.add(decoder.submit(requests.get(0).prompts(), requests.get(0).config()));
                while (decoder.workerState() != Thread.State.BLOCKED) Thread.sleep(5); // it holds request 0 alone
                for (Request r : requests.subList(1, requests.size())) answers.add(decoder.submit(r.prompts(), r.config()));
            }
            List<List<Rollout>> results = new ArrayList<>();
            for (Future<List<Rollout>> a : answers) results.add(a.get()); // the decoder is idle from here on
            RolloutEngine alone = new RolloutEngine(model);
            for (int i = 0; i < requests.size(); i++) {
                List<Rollout> got = results.get(i);
                List<Rollout> expected = alone.generate(Prompt.numbered(requests.get(i).prompts()), requests.get(i).config());
                assertEquals(expected.size(), got.size());
                for (int k = 0; k < expected.size(); k++) {
                    assertEquals(expected.get(k).promptIndex(), got.get(k).promptIndex());
                    assertEquals(expected.get(k).sampleIndex(), got.get(k).sampleIndex());
                    assertArrayEquals(expected.get(k).completionIds(), got.get(k).completionIds(), "request " + i + " row " + k);
                }
            }
            // request 0 alone; requests 1-4 together; request 5 shares request 2's seed and prompt 0, so it waits for
            // a call of its own; request 6 has other settings
            assertEquals(4, decoder.calls());
        }
    }

    /** One empty-text sample per prompt, numbered as the engine numbers them; the n-th call (from 1) throws. */
    static BatchingDecoder.Generator failingCall(int n, Throwable failure, List<Long> indices) {
        AtomicInteger calls = new AtomicInteger();
        return (prompts, config) -> {
            if (calls.incrementAndGet() == n) {
                if (failure instanceof Error e) throw e;
                throw (RuntimeException) failure;
            }
            List<Rollout> out = new ArrayList<>();
            for (Prompt p : prompts) {
                indices.add(p.index());
                out.add(new Rollout(p.index(), 0, p.ids(), new int[0], new float[0], FinishReason.LENGTH, ""));
            }
            return out;
        };
    }

    static final List<int[]> ONE = List.of(ByteLevelVocabulary.bytesOf("Hi"));

    @Test
    void anExceptionFailsOnlyItsRequestsAndPromptsKeepTheirRequestsNumbers() throws Exception {
        List<Long> indices = new ArrayList<>();
        RolloutConfig config = RolloutConfig.greedy(4).withSeed(11);
        try (BatchingDecoder decoder = new BatchingDecoder(failingCall(1, new IllegalStateException("injected"), indices), new Object())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> decoder.submit(ONE, config).get(30, TimeUnit.SECONDS));
            assertEquals("injected", e.getCause().getMessage());
            assertNull(decoder.failure(), "an exception does not stop the decoder");
            // prompt 3 of a request comes back as prompt 3 and draws as prompt 3 under the request's seed
            List<Rollout> got = decoder.generateNumbered(List.of(new Prompt(3, ONE.get(0))), config);
            assertEquals(3, got.get(0).promptIndex());
            assertEquals(List.of(RolloutEngine.indexUnderSeed(11, 3, 0)), indices);
        }
    }

    @Test
    void anErrorFailsTheRequestsDecodingAndWaitingAndEveryLaterOneIs503NotAHang() throws Exception {
        Object lock = new Object();
        RolloutConfig config = RolloutConfig.greedy(4).withSeed(5);
        try (BatchingDecoder decoder = new BatchingDecoder(failingCall(2, new OutOfMemoryError("injected"), new ArrayList<>()), lock)) {
            CompletableFuture<List<Rollout>> holder, failing, sameIndex, otherSettings;
            synchronized (lock) { // call 1 waits for the lock; the next three queue up and are taken together after it
                holder = decoder.submit(ONE, config.withSeed(99));
                while (decoder.workerState() != Thread.State.BLOCKED) Thread.sleep(5);
                failing = decoder.submit(ONE, config); // call 2 throws
                sameIndex = decoder.submit(ONE, config); // the same seed and prompt number: would be call 3
                otherSettings = decoder.submit(ONE, RolloutConfig.greedy(2)); // would be call 3 or 4
            }
            assertEquals(1, holder.get(30, TimeUnit.SECONDS).size());
            CompletableFuture<List<Rollout>> f = failing;
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
            assertInstanceOf(OutOfMemoryError.class, e.getCause());
            for (CompletableFuture<List<Rollout>> waiting : List.of(sameIndex, otherSettings)) {
                ExecutionException w = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
                assertEquals(503, assertInstanceOf(ApiError.class, w.getCause()).status);
            }
            ApiError stopped = decoder.failure();
            assertEquals(503, stopped.status);
            assertEquals("the decoder stopped after java.lang.OutOfMemoryError: injected; restart the server", stopped.getMessage());
            assertSame(stopped, assertThrows(ApiError.class, () -> decoder.generate(ONE, config))); // at once, not a hang
            assertEquals(2, decoder.calls());
        }
    }
}
