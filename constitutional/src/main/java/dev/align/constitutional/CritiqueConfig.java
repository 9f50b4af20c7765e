package dev.align.constitutional;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import java.util.List;

/**
 * SL-CAI's settings ({@code align cai sl}): how responses are sampled, then how each is critiqued and revised.
 *
 * @param critiqueTemperature critiques and revisions: 0 (greedy, the default) keeps them reproducible and, for small
 *     models, on the demonstrated format
 * @param rounds critique → revision rounds; round r critiques round r−1's revision, each under a newly drawn principle
 * @param fewShot demonstrations of the principle before each request; −1: as many of its examples as fit the context
 *     (a request that does not fit is retried with one fewer, down to none)
 * @param principles the principle ids to draw from; empty: all of the constitution's
 */
public record CritiqueConfig(
        ResponseSampling sampling,
        @ConfigKey(help = "temperature of critiques and revisions (0: greedy)") double critiqueTemperature,
        @ConfigKey(help = "critique → revision rounds") int rounds,
        @ConfigKey(help = "few-shot demonstrations per request (-1: as many as fit)") int fewShot,
        @ConfigKey(help = "principle ids to draw from (default: all)") List<String> principles) {

    public static final CritiqueConfig DEFAULTS = new CritiqueConfig(ResponseSampling.DEFAULTS, 0.0, 1, -1, List.of());

    public CritiqueConfig {
        if (!(critiqueTemperature >= 0)) {
            throw new InvalidSettingException("critique_temperature", "must be >= 0, got " + critiqueTemperature);
        }
        if (rounds < 1) throw new InvalidSettingException("rounds", "must be >= 1, got " + rounds);
        if (fewShot < -1) throw new InvalidSettingException("few_shot", "must be >= 0, or -1 for as many as fit; got " + fewShot);
        principles = principles == null ? List.of() : List.copyOf(principles);
    }
}
