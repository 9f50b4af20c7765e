package dev.align.core.rl;

/**
 * The coefficient β of PPO's KL penalty (rewards − β·KL), as TRL's {@code AdaptiveKLController} and
 * {@code FixedKLController} (trl/trainer/utils.py before the PPO rewrite). Immutable: {@link #update} returns the next
 * controller, and β is the whole state, so a checkpoint saves {@link #coefficient()} and restores it with
 * {@link #withCoefficient}. Plain Java: one number per step.
 */
public sealed interface KlController permits KlController.Fixed, KlController.Adaptive {

    /** β now. */
    double coefficient();

    /**
     * The controller after a batch.
     *
     * @param kl the batch's KL, as TRL's {@code objective/kl}: the mean over sequences of Σₜ of the per-token estimate
     * @param steps samples in the batch (TRL: {@code batch_size × num_processes})
     */
    KlController update(double kl, long steps);

    /** The same controller with β set, e.g. from a checkpoint. */
    KlController withCoefficient(double coefficient);

    /** A constant β. */
    record Fixed(double coefficient) implements KlController {
        @Override
        public Fixed update(double kl, long steps) {
            return this;
        }

        @Override
        public Fixed withCoefficient(double coefficient) {
            return new Fixed(coefficient);
        }
    }

    /**
     * Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences", §2.2: a proportional controller that
     * steers the KL towards a target,
     *
     * <pre>
     *   e = clip(KL / KL_target − 1, −0.2, 0.2)
     *   β ← β · (1 + e · n_steps / horizon)
     * </pre>
     *
     * TRL's defaults: β₀ = 0.2 ({@code init_kl_coef}), target 6, horizon 10000.
     */
    record Adaptive(double coefficient, double target, double horizon) implements KlController {
        public Adaptive {
            if (!(target > 0)) throw new IllegalArgumentException("the KL target must be positive, got " + target);
            if (!(horizon > 0)) throw new IllegalArgumentException("the KL horizon must be positive, got " + horizon);
        }

        @Override
        public Adaptive update(double kl, long steps) {
            double error = Math.max(-0.2, Math.min(0.2, kl / target - 1));
            return new Adaptive(coefficient * (1 + error * steps / horizon), target, horizon);
        }

        @Override
        public Adaptive withCoefficient(double coefficient) {
            return new Adaptive(coefficient, target, horizon);
        }
    }
}
