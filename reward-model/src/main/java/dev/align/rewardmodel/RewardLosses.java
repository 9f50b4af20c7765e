package dev.align.rewardmodel;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.Scalars;

/**
 * Reward-model losses as pure functions of rewards. Pairs and ranking stages are given as 0/1 (or
 * ±1) selection matrices over the N rewards of a batch, so every loss is a few matrix products.
 */
public final class RewardLosses {
    private RewardLosses() {}

    /**
     * Bradley–Terry over pairs (Ouyang et al. 2022, eq. 1; InstructGPT weights each of a prompt's
     * C(K,2) pairs by 1/C(K,2) and keeps them in one batch element), with a soft target pₚ, the
     * probability that the first response is the better one, as RL-CAI trains its preference model on
     * a feedback model's probabilities (Bai et al. 2022; cross-entropy against pₚ):
     *
     * <pre>  Δₚ = r_betterₚ − r_worseₚ − marginₚ
     *  loss = Σₚ wₚ · [ −pₚ log σ(Δₚ) − (1−pₚ) log σ(−Δₚ) ],   ∂/∂Δₚ = wₚ (σ(Δₚ) − pₚ)</pre>
     *
     * pₚ = 1 is the hard loss −log σ(Δₚ).
     *
     * @param better (P) rewards of the preferred responses
     * @param worse (P) rewards of the other responses
     * @param margin (P) required gap (0 when the data gives none)
     * @param target (P) pₚ (1 when the data gives no soft label)
     * @param weight (P) pair weights, summing to 1 over the batch
     */
    public static NDArray bradleyTerry(NDArray better, NDArray worse, NDArray margin, NDArray target, NDArray weight) {
        NDArray gap = better.sub(worse).sub(margin); // (P)
        NDArray hard = softplus(gap.neg()).mul(target); // −log σ(x) = softplus(−x)
        return hard.add(softplus(gap).mul(target.neg().add(1f))).mul(weight).sum();
    }

    /**
     * Plackett–Luce negative log-likelihood of a ranking (Plackett 1975; Luce 1959): at each stage s
     * the chosen items Gₛ are picked from those still unranked, Rₛ. Ties use Breslow's approximation:
     *
     * <pre>  loss = Σₛ wₛ · ( |Gₛ| · log Σ_{j∈Rₛ} exp(rⱼ) − Σ_{i∈Gₛ} rᵢ )</pre>
     *
     * A stage may pick softly, {@code chosen} holding a distribution qₛ over Rₛ (a pair's soft label p
     * as (p, 1−p)): the stage's loss is then the cross-entropy log Σ exp(rⱼ) − Σᵢ qₛᵢ rᵢ, which for a pair
     * is {@link #bradleyTerry}'s soft loss without a margin.
     *
     * @param rewards (N) rewards of every response in the batch
     * @param remaining (S, N) 1 where response j is still unranked at stage s (Rₛ)
     * @param chosen (S, N) 1 where response i is picked at stage s (Gₛ ⊆ Rₛ), or its share of a soft pick
     * @param weight (S) stage weights, summing to 1 over the batch
     */
    public static NDArray plackettLuce(NDArray rewards, NDArray remaining, NDArray chosen, NDArray weight) {
        NDArray r = rewards.expandDims(0); // (1, N)
        NDArray masked = r.add(remaining.sub(1f).mul(1e9f)); // (S, N): −1e9 outside Rₛ
        NDArray max = masked.max(new int[] {1}, true).stopGradient(); // (S, 1)
        NDArray logSumExp = masked.sub(max).exp().sum(new int[] {1}).log().add(max.squeeze(1)); // (S)
        NDArray picked = chosen.mul(r).sum(new int[] {1}); // (S)
        NDArray size = chosen.sum(new int[] {1}); // (S)
        return size.mul(logSumExp).sub(picked).mul(weight).sum();
    }

    /**
     * Reward centering (Eisenstein et al. 2023), TRL's {@code center_rewards_coefficient}: keeps
     * rewards near zero without changing their differences.
     *
     * <pre>  coef · Σₚ wₚ (r_betterₚ + r_worseₚ)²</pre>
     */
    public static NDArray centering(NDArray better, NDArray worse, NDArray weight, double coefficient) {
        return better.add(worse).square().mul(weight).sum().mul(Scalars.constant(better, coefficient));
    }

    private static NDArray softplus(NDArray x) {
        // log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|), stable for large |x|
        return x.maximum(Scalars.constant(x, 0)).add(x.abs().neg().exp().add(1f).log());
    }
}
