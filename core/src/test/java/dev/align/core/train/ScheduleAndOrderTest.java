package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScheduleAndOrderTest {
    @Test
    void epochOrderIsAPermutationThatDependsOnlyOnSeedAndEpoch() {
        int[] a = EpochOrder.permutation(100, 7, 0);
        assertArrayEquals(a, EpochOrder.permutation(100, 7, 0));
        assertFalse(Arrays.equals(a, EpochOrder.permutation(100, 7, 1)));
        assertFalse(Arrays.equals(a, EpochOrder.permutation(100, 8, 0)));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
    }

    @Test
    void cosineScheduleWarmsUpLinearlyThenDecaysToZero() {
        LearningRateSchedule s = new LearningRateSchedule(1e-3, 10, 110, "cosine");
        assertEquals(0.0, s.at(0));
        assertEquals(5e-4, s.at(5), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12);
        assertEquals(5e-4, s.at(60), 1e-12); // halfway through the decay
        assertEquals(0.0, s.at(110), 1e-12);
        assertEquals(5e-4, new LearningRateSchedule(1e-3, 0, 100, "linear").at(50), 1e-12);
    }
}
