package dev.align.core.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
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
}
