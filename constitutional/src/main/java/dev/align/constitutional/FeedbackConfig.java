package dev.align.constitutional;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import java.util.List;

/**
 * AI feedback's settings ({@code align cai prefs}): how the two responses per prompt are sampled, and which
 * principles the feedback model is asked about (every pair is judged under each, in both orders, and averaged).
 *
 * @param fewShot the principle's preference demonstrations before each question; −1: as many as fit
 * @param principles principle ids to ask about; empty: all of the constitution's
 */
public record FeedbackConfig(
        ResponseSampling sampling,
        @ConfigKey(help = "few-shot demonstrations per question (-1: as many as fit)") int fewShot,
        @ConfigKey(help = "principle ids to ask about (default: all)") List<String> principles) {

    public static final FeedbackConfig DEFAULTS = new FeedbackConfig(ResponseSampling.DEFAULTS, -1, List.of());

    public FeedbackConfig {
        if (fewShot < -1) throw new InvalidSettingException("few_shot", "must be >= 0, or -1 for as many as fit; got " + fewShot);
        principles = principles == null ? List.of() : List.copyOf(principles);
    }
}
