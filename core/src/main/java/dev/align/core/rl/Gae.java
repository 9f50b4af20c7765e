package dev.align.core.rl;

/**
 * Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control Using Generalized
 * Advantage Estimation", eqs. 11–16), as TRL's PPO computes it (trl/experimental/ppo/ppo_trainer.py, step 6, and the
 * older {@code PPOTrainer.compute_advantages}, which masks the same way):
 *
 * <pre>
 *   δₜ = rₜ + γ·Vₜ₊₁ − Vₜ          V_T = 0 past the last position (the episode ends with the completion)
 *   Âₜ = δₜ + γλ·Âₜ₊₁              Â_T = 0, a backward loop over t = T−1 … 0
 *   Rₜ = Âₜ + Vₜ                   the value head's regression target
 * </pre>
 *
 * Rewards and values are first multiplied by the mask, so a masked position counts as reward 0 and value 0: the
 * value after a completion's last token is 0, and with right padding every padded position gets Â = R = 0.
 * Plain Java on detached (B, T) row-major arrays: one pass, no JNI op per time step.
 */
public final class Gae {
    private Gae() {}

    /** Advantages Â and returns R, each (B, T) row-major. */
    public record Estimate(float[] advantages, float[] returns) {}

    /**
     * @param rewards (B, T) per-token rewards (TRL: −β·KL at each token plus the score at the last one)
     * @param values (B, T) value-head predictions Vₜ of the rollout policy
     * @param mask (B, T) 1 for positions that belong to the completion
     * @param length T, the row length
     * @param gamma discount γ (TRL's default 1.0)
     * @param lambda GAE's λ (TRL's {@code lam}, default 0.95)
     */
    public static Estimate estimate(float[] rewards, float[] values, float[] mask, int length, double gamma,
            double lambda) {
        Masked.checkLengths(rewards, mask);
        Masked.checkLengths(values, mask);
        if (length <= 0 || rewards.length % length != 0) {
            throw new IllegalArgumentException(rewards.length + " elements are not rows of length " + length);
        }
        float[] advantages = new float[rewards.length], returns = new float[rewards.length];
        for (int row = 0; row < rewards.length / length; row++) {
            int base = row * length;
            double nextValue = 0, nextAdvantage = 0;
            for (int t = length - 1; t >= 0; t--) {
                int i = base + t;
                double value = (double) values[i] * mask[i];
                double delta = (double) rewards[i] * mask[i] + gamma * nextValue - value;
                double advantage = delta + gamma * lambda * nextAdvantage;
                advantages[i] = (float) advantage;
                returns[i] = (float) (advantage + value);
                nextValue = value;
                nextAdvantage = advantage;
            }
        }
        return new Estimate(advantages, returns);
    }
}
