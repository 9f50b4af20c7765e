package dev.align.core.reward;

import dev.align.core.BadInputException;
import dev.align.core.UserClass;
import java.util.List;

/**
 * Rewards for a batch of (prompt, completion) samples: one float per sample, in order. GRPO/RLOO and
 * PPO call it once per generation batch. Implementations: {@link VerifierReward} (verifiable answers),
 * {@code dev.align.datasets.RewardModelReward} (a trained reward model, encoding as {@code align rm}
 * trains), {@link WeightedSum}, or a user's own class loaded with {@link #load(String)}.
 */
@FunctionalInterface
public interface RewardFunction {

    /** One reward per sample, in the samples' order. */
    float[] rewards(List<Sample> samples);

    /** A short name for metrics ({@code rewards/NAME/mean}); the class's simple name by default. */
    default String name() {
        String simple = getClass().getSimpleName();
        return simple.isEmpty() ? "reward" : simple;
    }

    /**
     * A user's reward function by its binary class name (e.g. {@code com.example.LengthPenalty}, or
     * {@code com.example.Rewards$Length} for a nested class): public, on the classpath, implementing
     * this interface, with a public no-argument constructor. Anything else is a one-line {@link
     * BadInputException}.
     */
    static RewardFunction load(String className) {
        return UserClass.instantiate(className, RewardFunction.class, "reward function");
    }
}
