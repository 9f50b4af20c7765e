package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.align.core.rl.GroupAdvantages.ScaleRewards;
import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {
    // Two prompts, four completions each: a group that separates its completions and one that does not.
    static final float[] REWARDS = {1, 0, 0, 1, 2, 2, 2, 2};

    @Test
    void groupScalingDividesByTheGroupsUnbiasedStdPlusEpsilon() {
        // group 1: mean 0.5, Σ(r−μ)² = 4·0.25 = 1, std = √(1/3) = 0.5773502692; Â = ±0.5/(0.5773502692 + 1e-4) = ±0.8658754298
        // group 2: std 0 → Â = 0/(0 + 1e-4) = 0; frac_reward_zero_std = 4/8
        GroupAdvantages.Result r = GroupAdvantages.grpo(REWARDS, 4, ScaleRewards.GROUP);
        float a = 0.8658754298f;
        assertArrayEquals(new float[] {a, -a, -a, a, 0, 0, 0, 0}, r.advantages(), 1e-6f);
        assertEquals(0.5, r.fracRewardZeroStd(), 0);
    }

    @Test
    void batchScalingKeepsTheGroupMeanButUsesTheBatchStd() {
        // batch mean 10/8 = 1.25; Σ(r−μ)² = 0.0625 + 1.5625 + 1.5625 + 0.0625 + 4·0.5625 = 5.5; std = √(5.5/7) = 0.8864052604
        // group 1: Â = ±0.5/(0.8864052604 + 1e-4) = ±0.5640124456; group 2: 2 − 2 = 0; no std is zero
        GroupAdvantages.Result r = GroupAdvantages.grpo(REWARDS, 4, ScaleRewards.BATCH);
        float a = 0.5640124456f;
        assertArrayEquals(new float[] {a, -a, -a, a, 0, 0, 0, 0}, r.advantages(), 1e-6f);
        assertEquals(0.0, r.fracRewardZeroStd(), 0);
    }

    @Test
    void noScalingLeavesRewardMinusGroupMean() {
        // Dr. GRPO: r − mean only; the zero-std metric still looks at group stds (group 2)
        GroupAdvantages.Result r = GroupAdvantages.grpo(REWARDS, 4, ScaleRewards.NONE);
        assertArrayEquals(new float[] {0.5f, -0.5f, -0.5f, 0.5f, 0, 0, 0, 0}, r.advantages(), 0);
        assertEquals(0.5, r.fracRewardZeroStd(), 0);
    }

    @Test
    void aGroupOfOneHasNoSignal() {
        GroupAdvantages.Result r = GroupAdvantages.grpo(new float[] {3, -1}, 1, ScaleRewards.GROUP);
        assertArrayEquals(new float[] {0, 0}, r.advantages(), 0);
        assertEquals(1.0, r.fracRewardZeroStd(), 0);
    }

    @Test
    void rlooSubtractsTheMeanOfTheOtherSamples() {
        // k = 3. Group 1 [1, 2, 6], Σ = 9: 1 − (9−1)/2 = −3; 2 − (9−2)/2 = −1.5; 6 − (9−6)/2 = 4.5
        // Group 2 [0, 0, 3], Σ = 3: 0 − 3/2 = −1.5 (twice); 3 − 0/2 = 3
        float[] rewards = {1, 2, 6, 0, 0, 3};
        GroupAdvantages.Result r = GroupAdvantages.rloo(rewards, 3, false);
        assertArrayEquals(new float[] {-3, -1.5f, 4.5f, -1.5f, -1.5f, 3}, r.advantages(), 1e-6f);
        assertEquals(0.0, r.fracRewardZeroStd(), 0);
        // normalize_advantages: mean (−3 − 1.5 + 4.5 − 1.5 − 1.5 + 3)/6 = 0; Σa² = 9 + 2.25 + 20.25 + 2.25 + 2.25 + 9 = 45;
        // std = √(45/5) = 3; a/(3 + 1e-4): −3/3.0001 = −0.9999666678, −1.5/3.0001 = −0.4999833339, 4.5/3.0001 = 1.4999500017
        GroupAdvantages.Result n = GroupAdvantages.rloo(rewards, 3, true);
        assertArrayEquals(new float[] {-0.9999666678f, -0.4999833339f, 1.4999500017f, -0.4999833339f, -0.4999833339f,
                0.9999666678f}, n.advantages(), 1e-6f);
    }

    @Test
    void rlooWithOneSampleHasNoBaselineAndNoAdvantage() {
        GroupAdvantages.Result r = GroupAdvantages.rloo(new float[] {5, 7}, 1, true);
        assertArrayEquals(new float[] {0, 0}, r.advantages(), 0);
        assertEquals(1.0, r.fracRewardZeroStd(), 0);
        // a group with equal rewards: Â = r − r = 0 and it counts as zero-std
        assertEquals(0.5, GroupAdvantages.rloo(new float[] {1, 1, 0, 1}, 2, false).fracRewardZeroStd(), 0);
    }

    @Test
    void namesAndShapes() {
        assertEquals(ScaleRewards.GROUP, ScaleRewards.parse("group"));
        assertEquals(ScaleRewards.GROUP, ScaleRewards.parse("True"));
        assertEquals(ScaleRewards.NONE, ScaleRewards.parse("false"));
        assertEquals(ScaleRewards.BATCH, ScaleRewards.parse(" batch "));
        assertEquals("batch", ScaleRewards.BATCH.trlName());
        assertThrows(IllegalArgumentException.class, () -> ScaleRewards.parse("sequence"));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.grpo(new float[5], 2, ScaleRewards.GROUP));
    }
}
