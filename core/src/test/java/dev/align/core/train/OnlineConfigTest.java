package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.align.core.BadInputException;
import dev.align.core.config.ConfigBinder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** OnlineConfig binds under TRL's keys when nested in a method's config, and writes the same keys back. */
class OnlineConfigTest {
    /** A method config as PPO's will be: TrainingArguments' keys, the online keys and its own, side by side. */
    record PpoLike(TrainingConfig training, OnlineConfig online, double klCoef) {}

    static final PpoLike DEFAULTS = new PpoLike(TrainingConfig.DEFAULTS, OnlineConfig.DEFAULTS, 0.05);

    @Test
    void bindsTrlKeysFromAYamlMapAndRoundTrips() {
        ConfigBinder<PpoLike> binder = ConfigBinder.of(PpoLike.class);
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("learning_rate", 3e-6);
        yaml.put("num_ppo_epochs", 2);
        yaml.put("num_mini_batches", "4"); // YAML 1.1 may hand numbers over as strings
        yaml.put("critic_learning_rate", "1e-5");
        yaml.put("kl_coef", 0.1);
        PpoLike bound = binder.bind(DEFAULTS, yaml, "ppo.yaml");
        assertEquals(new OnlineConfig(4, 2, 1e-5), bound.online());
        assertEquals(3e-6, bound.training().learningRate());

        Map<String, Object> written = ConfigBinder.of(OnlineConfig.class).toMap(bound.online());
        assertEquals(List.of("num_mini_batches", "num_ppo_epochs", "critic_learning_rate"), List.copyOf(written.keySet()));
        assertEquals(written, bound.online().asMap());
        assertEquals(bound.online(), ConfigBinder.of(OnlineConfig.class).bind(OnlineConfig.DEFAULTS, written, "round trip"));
        assertEquals(bound, binder.bind(DEFAULTS, binder.toMap(bound), "round trip"));
        assertEquals(OnlineConfig.DEFAULTS, new OnlineConfig(1, 4, 0), "TRL PPOConfig: 4 epochs, 1 mini-batch");
    }

    @Test
    void badValuesAreOneLineNamingTheSourceAndKey() {
        ConfigBinder<PpoLike> binder = ConfigBinder.of(PpoLike.class);
        BadInputException epochs = assertThrows(BadInputException.class,
                () -> binder.bind(DEFAULTS, Map.of("num_ppo_epochs", 0), "ppo.yaml"));
        assertEquals("ppo.yaml: key 'num_ppo_epochs': must be > 0, got 0", epochs.getMessage());
        BadInputException mini = assertThrows(BadInputException.class,
                () -> binder.bind(DEFAULTS, Map.of("num_mini_batches", -1), "command line"));
        assertEquals("command line: key 'num_mini_batches': must be > 0, got -1", mini.getMessage());
        BadInputException old = assertThrows(BadInputException.class,
                () -> binder.bind(DEFAULTS, Map.of("num_epochs", 2), "ppo.yaml"));
        assertEquals("ppo.yaml: key 'num_epochs': unknown", old.getMessage().replaceAll(" \\(did you mean.*", ""));
    }
}
