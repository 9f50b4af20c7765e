package dev.align.core.train;

import java.util.Random;

/** The shuffled order of a dataset's examples in an epoch, a function of (seed, epoch) only. */
public final class EpochOrder {
    private EpochOrder() {}

    /** A Fisher–Yates permutation of 0..n−1. */
    public static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random random = new Random(seed * 31 + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
