package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void yamlConfigOverridesDefaultsAndRejectsUnknownKeys(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("c.yaml");
        Files.writeString(yaml, "learning_rate: 0.001\nper_device_train_batch_size: 4\nmax_steps: 7\n");
        TrainingConfig c = TrainingConfig.DEFAULTS.with(TrainingConfig.readYaml(yaml), yaml.toString());
        assertEquals(0.001, c.learningRate());
        assertEquals(4, c.perDeviceTrainBatchSize());
        assertEquals(7, c.maxSteps());
        assertEquals(TrainingConfig.DEFAULTS.maxGradNorm(), c.maxGradNorm());
        BadInputException unknown = assertThrows(BadInputException.class,
                () -> TrainingConfig.DEFAULTS.with(Map.of("learning_rat", 0.1), yaml.toString()));
        assertEquals(yaml + ": unknown key 'learning_rat'", unknown.getMessage());
        BadInputException type = assertThrows(BadInputException.class,
                () -> TrainingConfig.DEFAULTS.with(Map.of("max_steps", "many"), yaml.toString()));
        assertTrue(type.getMessage().startsWith(yaml + ": key 'max_steps': expected an integer, got 'many'"), type.getMessage());
    }
}
