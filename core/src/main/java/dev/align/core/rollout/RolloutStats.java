package dev.align.core.rollout;

/**
 * Where an engine's time went, summed over its calls: for logging ({@code rollout/tokens_per_second})
 * and the bench.
 *
 * @param steps decoding steps of all batches (the first step of a batch, the prefill, included)
 * @param tokens completion tokens produced
 * @param prefillSeconds first steps: prompts through the model, and the first token sampled
 * @param decodeSeconds later steps: one token per row through the KV cache, and sampling
 * @param samplingSeconds the sampling part of {@code decodeSeconds}
 */
public record RolloutStats(long steps, long tokens, double prefillSeconds, double decodeSeconds, double samplingSeconds) {
    public static final RolloutStats ZERO = new RolloutStats(0, 0, 0, 0, 0);

    RolloutStats plus(RolloutStats o) {
        return new RolloutStats(steps + o.steps, tokens + o.tokens, prefillSeconds + o.prefillSeconds,
                decodeSeconds + o.decodeSeconds, samplingSeconds + o.samplingSeconds);
    }

    /** This minus an earlier snapshot of the same engine. */
    public RolloutStats since(RolloutStats earlier) {
        return new RolloutStats(steps - earlier.steps, tokens - earlier.tokens, prefillSeconds - earlier.prefillSeconds,
                decodeSeconds - earlier.decodeSeconds, samplingSeconds - earlier.samplingSeconds);
    }
}
