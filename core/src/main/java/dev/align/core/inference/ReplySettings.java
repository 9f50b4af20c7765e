package dev.align.core.inference;

import java.util.List;

/**
 * How free-form replies are sampled: OpenAI's request fields. Temperature 0 is greedy (the default for
 * evals: reproducible, and paired comparisons need the same decoding for every model).
 */
public record ReplySettings(int maxTokens, double temperature, double topP, long seed, List<String> stop) {
    public ReplySettings {
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        stop = List.copyOf(stop);
    }

    public static ReplySettings greedy(int maxTokens) {
        return new ReplySettings(maxTokens, 0, 1, 0, List.of());
    }

    public ReplySettings withStop(List<String> s) {
        return new ReplySettings(maxTokens, temperature, topP, seed, s);
    }
}
