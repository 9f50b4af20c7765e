package dev.align.constitutional;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.inference.ReplySettings;
import java.util.List;

/**
 * How both stages sample the policy's responses to the prompts (OpenAI's request fields; the rollout engine in
 * process). Everything random derives from {@code seed}: the same seed gives the same responses, principles and
 * labels.
 *
 * @param temperature 0 is greedy
 * @param maxNewTokens tokens per reply at most (responses, critiques and revisions)
 */
public record ResponseSampling(
        @ConfigKey(help = "random seed: responses, principle draws") long seed,
        @ConfigKey(help = "sampling temperature of the responses (0: greedy)") double temperature,
        @ConfigKey(help = "nucleus sampling mass of the responses (1: off)") double topP,
        @ConfigKey(help = "tokens per reply at most") int maxNewTokens) {

    /** Responses sampled at temperature 1 (the model's own distribution), 256 tokens at most. */
    public static final ResponseSampling DEFAULTS = new ResponseSampling(0, 1.0, 1.0, 256);

    public ResponseSampling {
        if (!(temperature >= 0)) throw new InvalidSettingException("temperature", "must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new InvalidSettingException("top_p", "must be in (0, 1], got " + topP);
        if (maxNewTokens < 1) throw new InvalidSettingException("max_new_tokens", "must be >= 1, got " + maxNewTokens);
    }

    /** The responses' settings under the stream {@code draw} (0, 1, ...: the first, second, ... response to each prompt). */
    public ReplySettings responses(long draw) {
        return new ReplySettings(maxNewTokens, temperature, topP, dev.align.core.train.Seeds.derive(seed, RESPONSES, draw), List.of());
    }

    /** Replies at another temperature (critiques, revisions), their own stream per round. */
    public ReplySettings at(double otherTemperature, long stream) {
        return new ReplySettings(maxNewTokens, otherTemperature, otherTemperature == 0 ? 1.0 : topP,
                dev.align.core.train.Seeds.derive(seed, stream), List.of());
    }

    static final long RESPONSES = 0x72657370L;
}
