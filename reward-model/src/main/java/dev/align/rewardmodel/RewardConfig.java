package dev.align.rewardmodel;

import dev.align.core.config.ConfigKey;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.train.TrainingConfig;

/**
 * Reward-model training options on top of the shared loop, as TRL's RewardConfig; bound from YAML or
 * flags by {@link dev.align.core.config.ConfigBinder} (the training keys sit beside these).
 *
 * @param loss how rankings of K responses are learned ({@code ranking_loss}); a preference pair is the
 *     K = 2 case of both
 * @param centerRewardsCoefficient weight of the reward-centering term (TRL's {@code
 *     center_rewards_coefficient}); 0 turns it off
 */
public record RewardConfig(
        TrainingConfig training,
        @ConfigKey(value = "ranking_loss", help = "pairwise (Bradley–Terry on all C(K,2) pairs) or listwise (Plackett–Luce)")
        RankingLoss loss,
        @ConfigKey(help = "reward-centering weight, coef·mean((r_c + r_r)²) (0: off)") double centerRewardsCoefficient) {

    public static final RewardConfig DEFAULTS = new RewardConfig(TrainingConfig.DEFAULTS, RankingLoss.PAIRWISE, 0);

    public RewardConfig {
        if (loss == null) throw new InvalidSettingException("ranking_loss", "expected pairwise or listwise");
        if (!(centerRewardsCoefficient >= 0)) {
            throw new InvalidSettingException("center_rewards_coefficient", "must be >= 0, got " + centerRewardsCoefficient);
        }
    }

    /** {@code pairwise}: Bradley–Terry on all C(K,2) pairs, weighted 1/C(K,2); {@code listwise}: Plackett–Luce. */
    public enum RankingLoss {
        PAIRWISE,
        LISTWISE
    }
}
