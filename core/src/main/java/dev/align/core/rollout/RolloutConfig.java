package dev.align.core.rollout;

import java.util.List;

/**
 * How the {@link RolloutEngine} samples, under Hugging Face {@code GenerationConfig} / TRL names.
 *
 * <p>Sampling follows HF's warper order: logits / temperature, then top-k, then top-p on the
 * renormalised top-k distribution, then min-p. Each token's log-prob is taken under logits /
 * temperature before any truncation (as TRL's PPO and GRPO compute it); greedy decoding reports it at
 * temperature 1.
 *
 * @param maxNewTokens {@code max_new_tokens}: tokens generated per sample at most
 * @param temperature logits are divided by it; 0 = greedy (argmax)
 * @param topK {@code top_k}: keep the k most likely tokens; 0 = off
 * @param topP {@code top_p}: then keep the smallest set of most likely tokens whose renormalised mass
 *     reaches p; 1 = off
 * @param minP {@code min_p}: then drop tokens less likely than min_p times the most likely one; 0 = off
 * @param numGenerations samples per prompt (TRL's {@code num_generations}, HF's {@code num_return_sequences})
 * @param eosTokenIds tokens that end a sample ({@code eos_token_id}, one or a list); empty = the tokenizer's
 * @param stopStrings a sample ends when its text contains one; its text is cut before it, its tokens are kept
 * @param seed sample g of prompt i draws from its own generator seeded with (seed, i, g), so completions do
 *     not depend on batch size, batch composition or order
 * @param maxBatchSize rows (prompts × samples) decoded together at most
 * @param threads PyTorch intra-op threads while decoding (a process-wide setting, restored afterwards); 0 =
 *     leave the current setting (the default: a library does not change a process-wide setting unasked)
 * @param useCache keep keys and values in a KV cache; false recomputes the whole sequence every step (a
 *     reference for tests and the bench)
 */
public record RolloutConfig(int maxNewTokens, float temperature, int topK, float topP, float minP, int numGenerations,
        List<Integer> eosTokenIds, List<String> stopStrings, long seed, int maxBatchSize, int threads, boolean useCache) {

    /** Rows decoded together unless told otherwise. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 64;

    public RolloutConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0");
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0");
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1]");
        if (numGenerations < 1) throw new IllegalArgumentException("num generations must be >= 1");
        if (maxBatchSize < 1) throw new IllegalArgumentException("max batch size must be >= 1");
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0");
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) throw new IllegalArgumentException("empty stop string");
    }

    /** Greedy decoding, one sample per prompt. */
    public static RolloutConfig greedy(int maxNewTokens) {
        return sampling(maxNewTokens, 0f, 0, 1f, 0f);
    }

    /**
     * Sampling with the given warpers: one sample per prompt, seed 0, the tokenizer's EOS, the default batch
     * size, PyTorch's thread setting left alone.
     */
    public static RolloutConfig sampling(int maxNewTokens, float temperature, int topK, float topP, float minP) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, 1, List.of(), List.of(), 0,
                DEFAULT_MAX_BATCH_SIZE, 0, true);
    }

    public boolean greedy() {
        return temperature == 0f;
    }

    public RolloutConfig withNumGenerations(int n) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, n, eosTokenIds, stopStrings, seed,
                maxBatchSize, threads, useCache);
    }

    public RolloutConfig withEosTokenIds(List<Integer> ids) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, ids, stopStrings, seed,
                maxBatchSize, threads, useCache);
    }

    public RolloutConfig withStopStrings(List<String> stops) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, eosTokenIds, stops, seed,
                maxBatchSize, threads, useCache);
    }

    public RolloutConfig withSeed(long s) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, eosTokenIds, stopStrings, s,
                maxBatchSize, threads, useCache);
    }

    public RolloutConfig withMaxBatchSize(int rows) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, eosTokenIds, stopStrings,
                seed, rows, threads, useCache);
    }

    public RolloutConfig withThreads(int n) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, eosTokenIds, stopStrings,
                seed, maxBatchSize, n, useCache);
    }

    public RolloutConfig withCache(boolean cache) {
        return new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, eosTokenIds, stopStrings,
                seed, maxBatchSize, threads, cache);
    }
}
