package dev.align.core.rl;

import java.util.Locale;

/**
 * Critic-free advantages from k completions sampled per prompt: GRPO's group-relative advantage and RLOO's
 * leave-one-out baseline. Rewards are one per completion, in groups of k consecutive completions of the same prompt
 * (TRL's {@code rewards.view(-1, num_generations)}). Plain Java on detached numbers; stds are unbiased (Bessel), as
 * TRL's {@code nanstd}.
 */
public final class GroupAdvantages {
    /** TRL's epsilon in {@code advantages / (std_rewards + 1e-4)}. */
    public static final double STD_EPSILON = 1e-4;

    private GroupAdvantages() {}

    /** TRL's {@code GRPOConfig.scale_rewards}: which std divides the advantages. */
    public enum ScaleRewards {
        /** Each group's own std (GRPO, Shao et al. 2024). TRL's default. */
        GROUP,
        /** One std over the whole batch (Hu et al. 2025, "REINFORCE++"; the mean stays per group). */
        BATCH,
        /** No scaling (Dr. GRPO, Liu et al. 2025, "Understanding R1-Zero-Like Training"). */
        NONE;

        /** TRL's names: group, batch, none; booleans as TRL maps them (true = group, false = none). */
        public static ScaleRewards parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            return switch (n) {
                case "group", "true" -> GROUP;
                case "batch" -> BATCH;
                case "none", "false" -> NONE;
                default -> throw new IllegalArgumentException("scale_rewards '" + name + "': expected group, batch or none");
            };
        }

        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Advantages (B) and TRL's {@code frac_reward_zero_std} metric: the fraction of completions whose std (the one
     * that scales them; the group's for RLOO and for {@code NONE}) is 0 to {@code torch.isclose}'s 1e-8, i.e. groups
     * that carry no learning signal.
     */
    public record Result(float[] advantages, double fracRewardZeroStd) {}

    /**
     * GRPO (Shao et al. 2024, "DeepSeekMath", §4.1.2), as TRL's {@code GRPOTrainer._generate_and_score_completions}:
     *
     * <pre>  Âᵢ = (rᵢ − mean(r_group)) / (std + 1e-4)   std per group, over the batch, or no division (NONE)</pre>
     *
     * A group of one (or a batch of one, with {@code BATCH}) has std 0, as TRL sets it.
     *
     * @param rewards (B) one reward per completion, B a multiple of {@code groupSize}
     * @param groupSize k, TRL's {@code num_generations}
     */
    public static Result grpo(float[] rewards, int groupSize, ScaleRewards scale) {
        checkGroups(rewards, groupSize);
        double batchStd = std(rewards, 0, rewards.length);
        float[] advantages = new float[rewards.length];
        int zeroStd = 0;
        for (int g = 0; g < rewards.length; g += groupSize) {
            double mean = mean(rewards, g, g + groupSize);
            double std = scale == ScaleRewards.BATCH ? batchStd : std(rewards, g, g + groupSize);
            for (int i = g; i < g + groupSize; i++) {
                double a = rewards[i] - mean;
                advantages[i] = (float) (scale == ScaleRewards.NONE ? a : a / (std + STD_EPSILON));
                if (std <= 1e-8) zeroStd++;
            }
        }
        return new Result(advantages, (double) zeroStd / rewards.length);
    }

    /**
     * RLOO's leave-one-out baseline (Kool et al. 2019, "Buy 4 REINFORCE Samples, Get a Baseline for Free!";
     * Ahmadian et al. 2024, "Back to Basics"), as TRL's {@code RLOOTrainer}:
     *
     * <pre>  Âᵢ = rᵢ − (1/(k−1)) Σ_{j≠i} rⱼ = rᵢ − (Σⱼ rⱼ − rᵢ)/(k−1)</pre>
     *
     * then, with {@code normalize} (TRL's {@code normalize_advantages}), (Â − mean(Â)) / (std(Â) + 1e-4) over the
     * batch. k = 1 has no baseline: every advantage is 0, as TRL sets it.
     *
     * @param rewards (B) one reward per completion (TRL subtracts β·Σₜ k1 from each first), B a multiple of k
     */
    public static Result rloo(float[] rewards, int k, boolean normalize) {
        checkGroups(rewards, k);
        float[] advantages = new float[rewards.length];
        int zeroStd = 0;
        for (int g = 0; g < rewards.length; g += k) {
            double sum = 0;
            for (int i = g; i < g + k; i++) sum += rewards[i];
            for (int i = g; i < g + k; i++) advantages[i] = k == 1 ? 0f : (float) (rewards[i] - (sum - rewards[i]) / (k - 1));
            if (std(rewards, g, g + k) <= 1e-8) zeroStd += k;
        }
        double fracZeroStd = (double) zeroStd / rewards.length;
        if (!normalize || k == 1) return new Result(advantages, fracZeroStd); // k = 1: zeros stay zeros, as in TRL
        double mean = mean(advantages, 0, advantages.length), std = std(advantages, 0, advantages.length);
        for (int i = 0; i < advantages.length; i++) advantages[i] = (float) ((advantages[i] - mean) / (std + STD_EPSILON));
        return new Result(advantages, fracZeroStd);
    }

    private static void checkGroups(float[] rewards, int groupSize) {
        if (groupSize <= 0 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards are not groups of " + groupSize);
        }
    }

    private static double mean(float[] x, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) sum += x[i];
        return sum / (to - from);
    }

    /** Unbiased std of x[from, to); 0 for a single value. */
    private static double std(float[] x, int from, int to) {
        int n = to - from;
        if (n < 2) return 0;
        double mean = mean(x, from, to), sum = 0;
        for (int i = from; i < to; i++) sum += (x[i] - mean) * (x[i] - mean);
        return Math.sqrt(sum / (n - 1));
    }
}
