package dev.align.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import dev.align.core.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigBinderTest {
    enum Kind { FIRST_KIND, SECOND }

    /** A method config as trainers write them: the shared TrainingConfig nested, its own keys beside. */
    record Method(TrainingConfig training, double beta, Kind kind, List<Integer> layers, Integer topK,
            @ConfigKey("ref_model") Path reference, @Unbound boolean allTokens) {
        Method {
            if (!(beta > 0)) throw new InvalidSettingException("beta", "must be > 0, got " + beta);
        }
    }

    static final Method DEFAULTS = new Method(TrainingConfig.DEFAULTS, 0.1, Kind.FIRST_KIND, List.of(0), null, null, true);
    static final ConfigBinder<Method> BINDER = ConfigBinder.of(Method.class);

    @Test
    void keysAreSnakeCaseWithNestedRecordsFlattenedBesideTheirOwner() {
        List<String> keys = BINDER.settings().stream().map(ConfigBinder.Setting::key).toList();
        List<String> expected = new ArrayList<>(TrainingConfig.DEFAULTS.asMap().keySet());
        expected.addAll(List.of("beta", "kind", "layers", "top_k", "ref_model"));
        assertEquals(expected, keys);
        assertEquals("per_device_train_batch_size", keys.get(3));
        assertEquals("adam_beta1", keys.get(10));
        assertEquals("peak learning rate of AdamW", BINDER.settings().get(0).help());
    }

    @Test
    void yamlValuesAreCoercedToTheComponentTypesAndUnsetKeysKeepTheDefaults(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("m.yaml");
        Files.writeString(yaml, """
                learning_rate: 1e-5
                max_steps: 10.0
                seed: 7
                full_determinism: "TRUE"
                kind: second
                layers: 1, 2,3
                top_k: "40"
                ref_model: runs/ref
                """);
        Method m = BINDER.bind(DEFAULTS, ConfigFile.read(yaml), yaml.toString());
        assertEquals(1e-5, m.training().learningRate());
        assertEquals(10, m.training().maxSteps());
        assertEquals(7L, m.training().seed());
        assertTrue(m.training().fullDeterminism());
        assertEquals(Kind.SECOND, m.kind());
        assertEquals(List.of(1, 2, 3), m.layers());
        assertEquals(40, m.topK());
        assertEquals(Path.of("runs/ref"), m.reference());
        // everything else is the defaults instance's, the unbound component included
        assertEquals(TrainingConfig.DEFAULTS.perDeviceTrainBatchSize(), m.training().perDeviceTrainBatchSize());
        assertEquals(0.1, m.beta());
        assertTrue(m.allTokens());
        Method empty = BINDER.bind(DEFAULTS, Map.of(), "nothing");
        assertEquals(DEFAULTS, empty);
    }

    @Test
    void laterLayersWinOverEarlierOnesAndTheDefaults() {
        Map<String, Object> yaml = Map.of("learning_rate", 0.01, "max_steps", 5, "beta", 0.5);
        Map<String, Object> flags = Map.of("max_steps", "7", "kind", "SECOND");
        Method m = BINDER.bind(DEFAULTS, List.of(new ConfigBinder.Source("c.yaml", yaml),
                new ConfigBinder.Source("command line", flags)));
        assertEquals(0.01, m.training().learningRate()); // YAML over the default
        assertEquals(7, m.training().maxSteps()); // the flag over YAML
        assertEquals(0.5, m.beta());
        assertEquals(Kind.SECOND, m.kind());
        assertEquals(DEFAULTS.training().seed(), m.training().seed()); // neither: the default
    }

    @Test
    void toMapRoundTripsThroughBindAndWritesEnumsAndPathsAsText() {
        Method m = new Method(TrainingConfig.DEFAULTS.with(Map.of("seed", 3), "t"), 0.25, Kind.FIRST_KIND, List.of(4, 5), 8,
                Path.of("a/b"), true);
        Map<String, Object> map = BINDER.toMap(m);
        assertEquals("first_kind", map.get("kind"));
        assertEquals("a/b", map.get("ref_model"));
        assertEquals(List.of(4, 5), map.get("layers"));
        assertEquals(false, map.containsKey("all_tokens"));
        assertEquals(m, BINDER.bind(DEFAULTS, map, "config.yaml"));
        // and through YAML text, as a run's config.yaml is written and read back
        Map<String, Object> reread = new LinkedHashMap<>(map);
        assertEquals(m, BINDER.bind(DEFAULTS, reread, "config.yaml"));
    }

    @Test
    void configYamlTextRoundTrips(@TempDir Path tmp) throws Exception {
        Method m = new Method(TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 3e-4), "t"), 0.25, Kind.SECOND,
                List.of(4, 5), null, null, true);
        Path file = tmp.resolve("config.yaml");
        Files.writeString(file, ConfigFile.toYaml(BINDER.toMap(m)));
        assertEquals(m, BINDER.bind(DEFAULTS, ConfigFile.read(file), file.toString()));
    }

    static String error(Map<String, ?> values, String source) {
        return assertThrows(BadInputException.class, () -> BINDER.bind(DEFAULTS, values, source)).getMessage();
    }

    @Test
    void optimizerAndLoggingSettingsOutsideTheirDomainAreRefused() {
        assertEquals("x.yaml: key 'adam_beta1': must be in [0, 1), got 1.0", error(Map.of("adam_beta1", 1.0), "x.yaml"));
        assertEquals("x.yaml: key 'adam_beta2': must be in [0, 1), got -0.1", error(Map.of("adam_beta2", -0.1), "x.yaml"));
        assertEquals("x.yaml: key 'max_grad_norm': must be >= 0 (0: no clipping), got -1.0",
                error(Map.of("max_grad_norm", -1), "x.yaml"));
        assertEquals("x.yaml: key 'weight_decay': must be >= 0, got -0.01", error(Map.of("weight_decay", -0.01), "x.yaml"));
        assertEquals("x.yaml: key 'logging_steps': must be >= 1, got 0", error(Map.of("logging_steps", 0), "x.yaml"));
        assertEquals(0.0, BINDER.bind(DEFAULTS, Map.of("max_grad_norm", 0, "adam_beta1", 0), "x.yaml").training().maxGradNorm());
    }

    @Test
    void aKeyGivenTwiceInAYamlFileIsAnErrorNamingIt(@TempDir Path tmp) throws Exception {
        Path yaml = tmp.resolve("twice.yaml");
        Files.writeString(yaml, "learning_rate: 0.1\nmax_steps: 3\nlearning_rate: 0.2\n");
        String message = assertThrows(BadInputException.class, () -> ConfigFile.read(yaml)).getMessage();
        assertTrue(message.startsWith(yaml + ": invalid YAML: Duplicate field 'learning_rate'"), message);
    }

    @Test
    void unknownKeysNameTheSourceAndTheNearestKey() {
        assertEquals("sft.yaml: key 'learning_rte': unknown (did you mean 'learning_rate'?)",
                error(Map.of("learning_rte", 0.1), "sft.yaml"));
        assertEquals("sft.yaml: key 'batch': unknown (did you mean 'per_device_train_batch_size'?)",
                error(Map.of("batch", 4), "sft.yaml"));
        assertEquals("sft.yaml: key 'colour': unknown", error(Map.of("colour", 4), "sft.yaml"));
        assertEquals("sft.yaml: key 'all_tokens': unknown", error(Map.of("all_tokens", true), "sft.yaml"));
    }

    @Test
    void badTypesNameTheSourceTheKeyAndTheValue() {
        assertEquals("--config x.yaml: key 'max_steps': expected an integer, got 'ten'",
                error(Map.of("max_steps", "ten"), "--config x.yaml"));
        assertEquals("x.yaml: key 'max_steps': expected an integer, got '2.5'", error(Map.of("max_steps", 2.5), "x.yaml"));
        assertEquals("x.yaml: key 'max_steps': out of range for an int: 3000000000",
                error(Map.of("max_steps", 3_000_000_000L), "x.yaml"));
        assertEquals("x.yaml: key 'beta': expected a number, got 'high'", error(Map.of("beta", "high"), "x.yaml"));
        assertEquals("x.yaml: key 'full_determinism': expected true or false, got 'yes please'",
                error(Map.of("full_determinism", "yes please"), "x.yaml"));
        assertEquals("x.yaml: key 'kind': expected one of first_kind, second, got 'third'",
                error(Map.of("kind", "third"), "x.yaml"));
        assertEquals("x.yaml: key 'layers': item 2: expected an integer, got 'b'", error(Map.of("layers", "1,b"), "x.yaml"));
        assertEquals("x.yaml: key 'lr_scheduler_type': expected a string, got '[a]'",
                error(Map.of("lr_scheduler_type", List.of("a")), "x.yaml"));
        Map<String, Object> nullBeta = new LinkedHashMap<>();
        nullBeta.put("beta", null);
        assertEquals("x.yaml: key 'beta': expected a number, got null", error(nullBeta, "x.yaml"));
    }

    @Test
    void valuesTheRecordRefusesNameTheSourceThatSetThem() {
        List<ConfigBinder.Source> layers = List.of(new ConfigBinder.Source("x.yaml", Map.of("learning_rate", -1)),
                new ConfigBinder.Source("command line", Map.of("max_steps", 3)));
        BadInputException e = assertThrows(BadInputException.class, () -> BINDER.bind(DEFAULTS, layers));
        assertEquals("x.yaml: key 'learning_rate': must be > 0, got -1.0", e.getMessage());
        assertEquals("command line: key 'beta': must be > 0, got 0.0", error(Map.of("beta", 0), "command line"));
        assertEquals("x.yaml: key 'lr_scheduler_type': expected cosine, linear or constant, got 'cosin'",
                error(Map.of("lr_scheduler_type", "cosin"), "x.yaml"));
        // a check across keys: the source of the key the record names
        assertEquals("x.yaml: key 'max_steps': set max_steps or num_train_epochs to a positive number",
                error(Map.of("num_train_epochs", 0), "x.yaml"));
    }

    record Clash(TrainingConfig training, double learningRate) {}

    record Unsupported(Map<String, String> table) {}

    @Test
    void recordsThatCannotBeBoundFailWhenTheBinderIsMade() {
        assertThrows(IllegalStateException.class, () -> ConfigBinder.of(Clash.class));
        assertThrows(IllegalStateException.class, () -> ConfigBinder.of(Unsupported.class));
    }

    @Test
    void yamlFileErrorsAreOneLine(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("none.yaml");
        assertEquals(missing + ": file not found", assertThrows(BadInputException.class, () -> ConfigFile.read(missing)).getMessage());
        Path list = tmp.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        assertEquals(list + ": expected a mapping of keys to values",
                assertThrows(BadInputException.class, () -> ConfigFile.read(list)).getMessage());
    }

    @Test
    void snakeCase() {
        assertEquals("per_device_train_batch_size", ConfigBinder.snakeCase("perDeviceTrainBatchSize"));
        assertEquals("adam_beta2", ConfigBinder.snakeCase("adamBeta2"));
        assertEquals("beta", ConfigBinder.snakeCase("beta"));
    }
}
