package dev.align.core.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The device sampler against distributions computed by hand from one fixed row of logits. */
class TokenSamplerTest extends EngineTest {
    private static final int DRAWS = 40_000;

    /** Probabilities 0.40, 0.30, 0.15, 0.10, 0.05 in a shuffled vocabulary order (tokens 3, 0, 4, 1, 2). */
    private static final float[] LOGITS = logitsOf(new double[] {0.30, 0.10, 0.05, 0.40, 0.15});

    @Test
    void topPAfterTopKUsesTheRenormalisedTopKMass() {
        // top-k 3 keeps 0.40, 0.30, 0.15 → renormalised 0.471, 0.353, 0.176. top-p 0.8: the mass above the
        // third (0.824) is not below 0.8, so it goes: 0.571, 0.429. (On the untruncated mass, 0.70 < 0.8 would keep it.)
        assertFrequencies(new TokenSampler(1f, 3, 0.8f, 0f), new double[] {0.3 / 0.7, 0, 0, 0.4 / 0.7, 0});
    }

    @Test
    void topPWithoutTopKKeepsTheSmallestSetReachingP() {
        // Mass above each token in probability order: 0, 0.40, 0.70, 0.85, 0.95; top-p 0.8 keeps three.
        assertFrequencies(new TokenSampler(1f, 0, 0.8f, 0f), new double[] {0.30 / 0.85, 0, 0, 0.40 / 0.85, 0.15 / 0.85});
        // top-p 0.3 keeps only the most likely token.
        assertFrequencies(new TokenSampler(1f, 0, 0.3f, 0f), new double[] {0, 0, 0, 1, 0});
    }

    @Test
    void topPHoldsForSingleRowsWhereLikelyTokensSkipTheCheck() {
        // One row per call: a token with p > 1 − top_p (0.40, 0.30) is kept without the pass over the vocabulary.
        TokenSampler sampler = new TokenSampler(1f, 0, 0.8f, 0f);
        int draws = 3000;
        double[] seen = new double[LOGITS.length];
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits = manager.create(LOGITS, new Shape(1, LOGITS.length));
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < draws; i++) {
                seen[(int) sampler.sample(logits, new boolean[] {true}, r -> RolloutEngine.uniform(rng)).tokens()[0]] += 1.0 / draws;
            }
        }
        double[] expected = {0.30 / 0.85, 0, 0, 0.40 / 0.85, 0.15 / 0.85};
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], seen[i], 0.04, Arrays.toString(seen));
    }

    @Test
    void aRowsTokenDoesNotDependOnWhichOtherRowsNeedMoreRounds() {
        // top-p 0.8 keeps tokens 3, 0, 4 (mass above 0, 0.40, 0.70) and rejects 1 (0.85) and 2 (0.95).
        // Vocabulary order 0..4 has p = 0.30, 0.10, 0.05, 0.40, 0.15, so each round's CDF is by hand:
        //   row 0: u 0.42 → token 2 (rejected); p > 0.05: 0.35·0.95 → token 1 (rejected); p > 0.10: 0.1·0.85 → token 0.
        //   row 1: u 0.42 → token 2 (rejected); p > 0.05: 0.9·0.95 = 0.855 → token 4.
        //   rows 2, 3, 4: one round, u 0.5 → token 3, 0.1 → token 0, 0.88 → token 4.
        float[][] script = {{0.42f, 0.35f, 0.1f}, {0.42f, 0.9f}, {0.5f}, {0.1f}, {0.88f}};
        long[] expected = {0, 4, 3, 0, 4};
        int rows = script.length;
        TokenSampler sampler = new TokenSampler(1f, 0, 0.8f, 0f);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float[] all = new float[rows * LOGITS.length];
            for (int r = 0; r < rows; r++) System.arraycopy(LOGITS, 0, all, r * LOGITS.length, LOGITS.length);
            boolean[] live = new boolean[rows];
            Arrays.fill(live, true);
            int[] used = new int[rows];
            TokenSampler.Choice batch = sampler.sample(manager.create(all, new Shape(rows, LOGITS.length)), live,
                    r -> script[r][used[r]++]);
            assertArrayEquals(expected, batch.tokens());
            for (int r = 0; r < rows; r++) {
                assertEquals(script[r].length, used[r], "rounds of row " + r);
                int[] alone = new int[1];
                int row = r;
                TokenSampler.Choice single = sampler.sample(manager.create(LOGITS, new Shape(1, LOGITS.length)),
                        new boolean[] {true}, i -> script[row][alone[0]++]);
                assertEquals(batch.tokens()[r], single.tokens()[0], "row " + r);
                assertEquals(batch.logProbs()[r], single.logProbs()[0], "row " + r);
                assertEquals(script[r].length, alone[0], "rounds of row " + r + " alone");
            }
        }
    }

    @Test
    void rowsSampledTogetherPickWhatEachPicksAloneWhateverTheRounds() {
        // 64 rows of broad distributions at top-p 0.7: most rows accept in the first round, some need
        // two or more. Every row, with its own generator, picks the same token and log-prob as when it is
        // sampled alone; one-level (block 2²⁰) and two-level (64 blocks of 8) inverse CDFs, with min-p too.
        int rows = 64, vocab = 512;
        boolean[] live = new boolean[rows];
        Arrays.fill(live, true);
        live[5] = false; // a finished row draws nothing and does not disturb the others
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits = manager.randomNormal(0f, 2f, new Shape(rows, vocab), ai.djl.ndarray.types.DataType.FLOAT32,
                    manager.getDevice());
            for (TokenSampler sampler : new TokenSampler[] {new TokenSampler(1f, 0, 0.7f, 0f, 1 << 20),
                    new TokenSampler(1f, 0, 0.7f, 0f, 8), new TokenSampler(0.9f, 0, 0.7f, 0.001f, 8)}) {
                SplittableRandom[] rngs = new SplittableRandom[rows];
                for (int r = 0; r < rows; r++) rngs[r] = new SplittableRandom(100 + r);
                int[] rounds = new int[rows];
                TokenSampler.Choice batch = sampler.sample(logits, live, r -> {
                    rounds[r]++;
                    return RolloutEngine.uniform(rngs[r]);
                });
                int more = 0;
                for (int r = 0; r < rows; r++) {
                    if (!live[r]) {
                        assertEquals(0, rounds[r]);
                        continue;
                    }
                    if (rounds[r] > 1) more++;
                    SplittableRandom rng = new SplittableRandom(100 + r);
                    int[] alone = new int[1];
                    TokenSampler.Choice single = sampler.sample(logits.get(r).reshape(1, vocab), new boolean[] {true}, i -> {
                        alone[0]++;
                        return RolloutEngine.uniform(rng);
                    });
                    assertEquals(single.tokens()[0], batch.tokens()[r], "row " + r);
                    assertEquals(single.logProbs()[0], batch.logProbs()[r], "row " + r);
                    assertEquals(alone[0], rounds[r], "rounds of row " + r);
                }
                assertTrue(more > 0 && more < rows - 8, more + " rows needed a second round");
            }
        }
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        // min-p 0.3: the floor is 0.3 · 0.40 = 0.12, so 0.10 and 0.05 go.
        assertFrequencies(new TokenSampler(1f, 0, 1f, 0.3f), new double[] {0.30 / 0.85, 0, 0, 0.40 / 0.85, 0.15 / 0.85});
        // with top-k 4 and top-p 0.99 on the renormalised top-4 (0.42, 0.32, 0.16, 0.11): top-p keeps 4, min-p 3.
        assertFrequencies(new TokenSampler(1f, 4, 0.99f, 0.3f), new double[] {0.30 / 0.85, 0, 0, 0.40 / 0.85, 0.15 / 0.85});
    }

    @Test
    void temperatureSharpensAndLogProbsIgnoreTruncation() {
        double[] p = {0.30, 0.10, 0.05, 0.40, 0.15};
        double[] sharp = new double[p.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) z += sharp[i] = Math.pow(p[i], 2); // logits / 0.5
        for (int i = 0; i < p.length; i++) sharp[i] /= z;
        assertFrequencies(new TokenSampler(0.5f, 0, 1f, 0f), sharp);
        // The log-prob is under softmax(logits / T) before top-k/top-p: token 3 under top-k 1 still has log(sharp[3]).
        TokenSampler.Choice c = draw(new TokenSampler(0.5f, 1, 1f, 0f), 4);
        for (int r = 0; r < 4; r++) {
            assertEquals(3, c.tokens()[r]);
            assertEquals(Math.log(sharp[3]), c.logProbs()[r], 1e-5);
        }
        TokenSampler.Choice noTopK = draw(new TokenSampler(0.5f, 0, 0.3f, 0f), 4);
        assertEquals(Math.log(sharp[3]), noTopK.logProbs()[0], 1e-5);
    }

    @Test
    void greedyIsTheArgmaxWithItsLogProbAtTemperatureOne() {
        TokenSampler.Choice c = draw(new TokenSampler(0f, 0, 1f, 0f), 3);
        assertArrayEquals(new long[] {3, 3, 3}, c.tokens());
        assertEquals(Math.log(0.40), c.logProbs()[0], 1e-5);
    }

    @Test
    void twoLevelInverseCdfPicksWhatTheOneLevelCdfPicks() {
        int rows = 300, vocab = 4096;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits = manager.randomNormal(0f, 3f, new Shape(rows, vocab), ai.djl.ndarray.types.DataType.FLOAT32,
                    manager.getDevice());
            boolean[] live = new boolean[rows];
            Arrays.fill(live, true);
            for (TokenSampler[] pair : new TokenSampler[][] {
                    {new TokenSampler(1f, 0, 0.9f, 0f, 64), new TokenSampler(1f, 0, 0.9f, 0f, 1 << 20)},
                    {new TokenSampler(0.8f, 0, 1f, 0.05f, 64), new TokenSampler(0.8f, 0, 1f, 0.05f, 1 << 20)}}) {
                long[][] tokens = new long[2][];
                for (int k = 0; k < 2; k++) {
                    SplittableRandom[] rngs = new SplittableRandom[rows];
                    for (int r = 0; r < rows; r++) rngs[r] = new SplittableRandom(r);
                    tokens[k] = pair[k].sample(logits, live, r -> RolloutEngine.uniform(rngs[r])).tokens();
                }
                assertArrayEquals(tokens[1], tokens[0]);
            }
        }
    }

    @Test
    void twoLevelInverseCdfNeverPicksAMaskedTokenAtBlockBoundaries() {
        // V = 256 in 64 blocks of 4 (the smallest row the two-level path takes). min-p masks the first and
        // last column of every block, so a within-block target that rounding puts below 0 or past the
        // block's last cumulative weight would land on a masked token. u sweeps the multiples of 2⁻²⁴ (the
        // production uniforms) around every block boundary of the CDF.
        int vocab = 256, block = 4, reach = 48;
        TokenSampler twoLevel = new TokenSampler(1f, 0, 1f, 0.01f, block);
        TokenSampler oneLevel = new TokenSampler(1f, 0, 1f, 0.01f, 1 << 20);
        SplittableRandom rng = new SplittableRandom(11);
        int draws = 0, differ = 0, masked = 0;
        for (int pattern = 0; pattern < 12; pattern++) {
            float[] row = new float[vocab];
            double[] p = new double[vocab];
            double z = 0;
            for (int v = 0; v < vocab; v++) {
                boolean edge = v % block == 0 || v % block == block - 1;
                row[v] = edge ? -30f : (float) (4 * rng.nextDouble() - 2); // edges far below the min-p floor
                z += p[v] = edge ? 0 : Math.exp(row[v]);
            }
            int rows = (vocab / block - 1) * (2 * reach + 1);
            float[] us = new float[rows];
            double cdf = 0;
            for (int b = 0, r = 0; b < vocab / block - 1; b++) {
                for (int c = 0; c < block; c++) cdf += p[b * block + c] / z;
                long at = Math.round(cdf * (1 << 24));
                for (int d = -reach; d <= reach; d++) us[r++] = Math.min(at + d, (1 << 24) - 1) * 0x1.0p-24f;
            }
            long[][] picked = new long[2][];
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                float[] all = new float[rows * vocab];
                for (int r = 0; r < rows; r++) System.arraycopy(row, 0, all, r * vocab, vocab);
                NDArray logits = manager.create(all, new Shape(rows, vocab));
                boolean[] live = new boolean[rows];
                Arrays.fill(live, true);
                picked[0] = twoLevel.sample(logits, live, r -> us[r]).tokens();
                picked[1] = oneLevel.sample(logits, live, r -> us[r]).tokens();
            }
            for (int r = 0; r < rows; r++) {
                long t = picked[0][r];
                draws++;
                if (p[(int) t] == 0) {
                    masked++;
                    continue;
                }
                if (t != picked[1][r]) {
                    differ++;
                    // the two CDFs round differently: at most the neighbouring kept token
                    long lo = Math.min(t, picked[1][r]), hi = Math.max(t, picked[1][r]);
                    for (long v = lo + 1; v < hi; v++) assertEquals(0, p[(int) v], "u = " + us[r] + ": " + t + " vs " + picked[1][r]);
                }
            }
        }
        assertEquals(0, masked, "masked tokens picked in " + draws + " draws");
        assertTrue(differ * 100 < draws, differ + " of " + draws + " differ from the one-level CDF");
    }

    @Test
    void aTokenFarInTheTailGetsItsExactLogProb() {
        // Token 0 is e⁻¹⁰⁰ times less likely than the others: its float32 probability (~1e-44) is
        // subnormal or zero, so log(p) would be far off or −inf. u = 0 picks the first token of positive
        // weight; whichever it is, its log-prob is log-softmax(logits / T) computed directly.
        float t = 0.5f;
        float[] row = {-50f, 0f, 0.5f, 1f};
        double[] scaled = new double[row.length];
        double z = 0;
        for (int i = 0; i < row.length; i++) z += Math.exp(scaled[i] = row[i] / t);
        for (TokenSampler sampler : new TokenSampler[] {new TokenSampler(t, 0, 1f, 0f), new TokenSampler(t, 0, 0.99f, 0f)}) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                TokenSampler.Choice c = sampler.sample(manager.create(row, new Shape(1, row.length)), new boolean[] {true}, r -> 0f);
                int token = (int) c.tokens()[0];
                double expected = scaled[token] - Math.log(z);
                assertEquals(expected, c.logProbs()[0], 1e-4 * Math.abs(expected), "token " + token);
            }
        }
    }

    private void assertFrequencies(TokenSampler sampler, double[] expected) {
        TokenSampler.Choice c = draw(sampler, DRAWS);
        double[] seen = new double[expected.length];
        for (long t : c.tokens()) seen[(int) t] += 1.0 / DRAWS;
        for (int i = 0; i < expected.length; i++) {
            // 4.5 standard deviations of a frequency over 40 000 draws is at most 0.011
            assertEquals(expected[i], seen[i], 0.012, "token " + i + ": " + Arrays.toString(seen));
        }
    }

    private TokenSampler.Choice draw(TokenSampler sampler, int rows) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float[] all = new float[rows * LOGITS.length];
            for (int r = 0; r < rows; r++) System.arraycopy(LOGITS, 0, all, r * LOGITS.length, LOGITS.length);
            NDArray logits = manager.create(all, new Shape(rows, LOGITS.length));
            boolean[] live = new boolean[rows];
            Arrays.fill(live, true);
            SplittableRandom[] rngs = new SplittableRandom[rows];
            for (int r = 0; r < rows; r++) rngs[r] = new SplittableRandom(r);
            return sampler.sample(logits, live, r -> RolloutEngine.uniform(rngs[r]));
        }
    }

    private static float[] logitsOf(double[] probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (Math.log(probabilities[i]) + 1.7);
        return logits;
    }
}
