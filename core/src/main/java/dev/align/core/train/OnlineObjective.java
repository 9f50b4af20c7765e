package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.PolicyModel;
import java.util.Map;

/**
 * What an online method (PPO, GRPO, RLOO) trains: each optimizer step {@link #collect}s a batch of
 * experience with gradients off, then the trainer runs {@code num_ppo_epochs × num_mini_batches}
 * updates over shuffled rows of it, asking {@link #loss} for each micro-batch.
 *
 * <p>NDArrays the experience holds belong to the step: the trainer opens an {@code NDScope} around
 * collection and updates and closes it when the step ends. Anything that must outlive a step (a KL
 * coefficient, a prompt cursor, running reward statistics) is the method's {@link #state()}, which
 * checkpoints store as JSON and {@link #restore} reads back. Random draws should come from
 * {@link Seeds#derive}(seed, label, step, ...), which needs no state.
 *
 * @param <E> the method's experience
 */
public interface OnlineObjective<E extends OnlineObjective.Experience> {

    /** The trained modules: the policy and an optional separate critic (null when there is none). */
    record Modules(PolicyModel policy, PolicyModel critic) {
        public boolean hasCritic() {
            return critic != null;
        }
    }

    /** One collected batch. */
    interface Experience {
        /** Rows the updates shuffle and split into mini-batches. */
        int rows();

        /** Metrics of the collection (TRL names, e.g. {@code objective/rlhf_reward}), averaged into the log. */
        Map<String, Double> metrics();

        /** Tokens generated, for {@code num_tokens} and throughput. */
        default long tokens() {
            return 0;
        }
    }

    /**
     * A micro-batch's losses, each a scalar mean over its rows; {@code criticLoss} is null without a
     * separate critic (a value head on the policy adds its loss to {@code policyLoss}). {@code metrics}
     * are averaged over all micro-batches of the step.
     */
    record Step(NDArray policyLoss, NDArray criticLoss, Map<String, Double> metrics) {}

    /** Samples and scores a batch for optimizer step {@code step} (0-based); no gradient is recorded. */
    E collect(Modules modules, long step);

    /** Losses on these rows of the experience, computed inside a gradient collector. */
    Step loss(Modules modules, E experience, int[] rows);

    /** Everything besides weights and optimizer moments that the next step depends on, as JSON values. */
    Map<String, Object> state();

    /** Restores what {@link #state()} returned (numbers may come back as any {@link Number}). */
    void restore(Map<String, Object> state);

    /**
     * The method's settings that decide the numbers of a run (e.g. PPO's {@code kl_coef}), by their config keys:
     * checkpoints record them beside the training settings, and a resume under a changed one is refused, naming the
     * key. Values are JSON values (numbers, strings, booleans, enums, null).
     */
    default Map<String, Object> settings() {
        return Map.of();
    }

    /** Metrics on held-out data ({@code eval/...}), or an empty map. */
    default Map<String, Double> evaluate(Modules modules) {
        return Map.of();
    }
}
