package dev.align.rewardmodel;

import dev.align.core.train.TrainingConfig;
import java.util.Locale;

/**
 * Reward-model training options on top of the shared loop, as TRL's RewardConfig.
 *
 * @param loss how rankings of K responses are learned; a preference pair is the K = 2 case of both
 * @param centerRewardsCoefficient weight of the reward-centering term (TRL's {@code
 *     center_rewards_coefficient}); 0 turns it off
 */
public record RewardConfig(TrainingConfig training, RankingLoss loss, double centerRewardsCoefficient) {

    /** {@code pairwise}: Bradley–Terry on all C(K,2) pairs, weighted 1/C(K,2); {@code listwise}: Plackett–Luce. */
    public enum RankingLoss {
        PAIRWISE,
        LISTWISE;

        public static RankingLoss parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("loss '" + name + "': expected pairwise or listwise");
            }
        }
    }
}
