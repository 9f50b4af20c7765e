package dev.align.core.generation;

import java.util.List;

/**
 * How to sample. A temperature of 0 means greedy decoding.
 *
 * @param maxNewTokens upper bound on generated tokens per prompt
 * @param temperature logits are divided by it; 0 = greedy
 * @param topK keep the k most likely tokens; 0 = off
 * @param topP keep the smallest set whose probability reaches p; 1 = off
 * @param stopStrings generation of a row ends when its text contains one (the text is cut before it)
 * @param useCache reuse keys and values of earlier tokens (KV cache) instead of recomputing them
 * @param seed row r samples from its own generator seeded with (seed, r), so results do not depend on the batch
 */
public record SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, List<String> stopStrings,
        boolean useCache, long seed) {

    public SamplingConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0");
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be in (0, 1]");
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0");
        stopStrings = List.copyOf(stopStrings);
    }

    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(maxNewTokens, 0f, 0, 1f, List.of(), true, 0);
    }

    public SamplingConfig withCache(boolean cache) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, stopStrings, cache, seed);
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
