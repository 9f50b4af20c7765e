package dev.align.ppo;

import dev.align.core.rl.Gae;
import dev.align.core.rl.Masked;

/**
 * PPO-RLHF's reward shaping and advantages (Ziegler et al. 2019, "Fine-Tuning Language Models from Human
 * Preferences", §2.2; Ouyang et al. 2022, "Training language models to follow instructions", eq. 2), as TRL's PPO
 * trainer computes them after a rollout (trl/experimental/ppo/ppo_trainer.py, steps 4 to 6). Plain Java on detached
 * (B, C) row-major arrays over the completion columns; {@code mask} is 1 on completion tokens (EOS included).
 *
 * <pre>
 *   rₜ = −β·KLₜ + [t = last real token]·s       KLₜ the per-token estimate (k1: log π − log π_ref), s the score
 *   r ← whiten(r) keeping its mean              only with whiten_rewards
 *   Â, R = GAE(r, V; γ, λ)                       {@link Gae}
 *   Â ← (Â − μ) / √(σ² + 1e-8)                   over the mask, {@link Masked#whiten}; 0 off the mask
 * </pre>
 *
 * With at most one real token in the batch neither whitening is defined (σ² is unbiased): the rewards stay as they are
 * and Â = 0.
 *
 * <p>TRL adds the score one column after the last real token (its {@code sequence_lengths + 1}, a padding column it
 * keeps in the value mask); here it sits on the last real token itself, as OpenRLHF and the original PPO-RLHF place it,
 * so that every column the losses read is a real token.
 */
public final class PpoRewards {
    private PpoRewards() {}

    /** Advantages (whitened) and returns for the losses, and the shaped rewards they came from, each (B, C). */
    public record Advantages(float[] rewards, float[] advantages, float[] returns) {}

    /** The column of each row's last real token, or −1 for a row without one. */
    public static int[] lastTokens(float[] mask, int length) {
        int rows = mask.length / length;
        int[] last = new int[rows];
        for (int b = 0; b < rows; b++) {
            last[b] = -1;
            for (int t = 0; t < length; t++) if (mask[b * length + t] != 0) last[b] = t;
        }
        return last;
    }

    /**
     * rₜ = −β·KLₜ·mₜ, plus the row's score at its last real token.
     *
     * @param kl (B, C) the per-token KL estimate
     * @param scores (B) the reward model's score of each completion (after any missing-EOS penalty)
     * @param klCoef β
     */
    public static float[] perToken(float[] kl, float[] mask, float[] scores, double klCoef, int length) {
        float[] rewards = new float[kl.length];
        for (int i = 0; i < kl.length; i++) rewards[i] = (float) (-klCoef * kl[i] * mask[i]);
        int[] last = lastTokens(mask, length);
        for (int b = 0; b < last.length; b++) if (last[b] >= 0) rewards[b * length + last[b]] += scores[b];
        return rewards;
    }

    /**
     * TRL's steps 5 and 6: optional reward whitening (mean kept), GAE, then whitened advantages.
     *
     * @param rewards (B, C) from {@link #perToken}
     * @param values (B, C) the critic's V at the positions predicting each completion token
     */
    public static Advantages advantages(float[] rewards, float[] values, float[] mask, int length, double gamma,
            double lambda, boolean whitenRewards) {
        // An unbiased variance needs two tokens: with one (a batch of one single-token completion) or none, the rewards
        // are left as they are and the advantages are 0 (TRL divides by zero there), so only the value loss trains.
        boolean whitenable = maskedTokens(mask) > 1;
        float[] r = whitenRewards && whitenable ? Masked.whiten(rewards, mask, false) : rewards;
        Gae.Estimate gae = Gae.estimate(r, values, mask, length, gamma, lambda);
        float[] advantages = whitenable ? Masked.whiten(gae.advantages(), mask, true) : new float[rewards.length];
        return new Advantages(r, advantages, gae.returns());
    }

    private static double maskedTokens(float[] mask) {
        double n = 0;
        for (float m : mask) n += m;
        return n;
    }
}
