package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.align.core.BadInputException;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaveLoadTest extends EngineTest {

    private static float[] logitsOf(PolicyModel m, int[] ids) {
        NDArray[] b = TinyModels.batch(manager, List.of(ids), m.tokenizer().padId(), false);
        return m.logits(b[0], b[1]).toFloatArray();
    }

    @Test
    void saveThenLoadGivesBitIdenticalLogitsForEveryArchitecture(@TempDir Path tmp) {
        int[] ids = dev.align.core.tokenizer.ByteLevelVocabulary.bytesOf("Hello, world! Grüße.");
        for (TransformerPolicy model : TinyModels.all(manager, 7)) {
            model.addScoreHead(1);
            model.addValueHead(2);
            Path dir = tmp.resolve(model.config().modelType());
            model.save(dir, ModelDirectory.SaveOptions.DEFAULT);
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                    "generation_config.json")) {
                assertTrue(Files.exists(dir.resolve(f)), f);
            }
            try (TransformerPolicy loaded = ModelDirectory.load(dir, manager)) {
                var savedConfig = loaded.config().toJson();
                assertEquals(1, savedConfig.remove("num_labels").asInt(), "a score head is exported as num_labels: 1");
                assertEquals(model.config().toJson(), savedConfig);
                assertArrayEquals(logitsOf(model, ids), logitsOf(loaded, ids), model.config().modelType());
                NDArray[] b = TinyModels.batch(manager, List.of(ids), 0, false);
                NDArray h1 = model.hidden(b[0], b[1]);
                NDArray h2 = loaded.hidden(b[0], b[1]);
                assertArrayEquals(model.scores(h1, b[1]).toFloatArray(), loaded.scores(h2, b[1]).toFloatArray());
                assertArrayEquals(model.values(h1).toFloatArray(), loaded.values(h2).toFloatArray());
            }
            model.close();
        }
    }

    @Test
    void bf16CheckpointLoadsWithBf16RoundedWeights(@TempDir Path tmp) {
        try (TransformerPolicy model = TinyModels.llama(manager, 3)) {
            model.save(tmp.resolve("bf16"), new ModelDirectory.SaveOptions(Safetensors.DType.BF16));
            try (TransformerPolicy loaded = ModelDirectory.load(tmp.resolve("bf16"), manager)) {
                float[] orig = model.parameters().get("model.layers.0.mlp.gate_up_proj.weight").toFloatArray();
                float[] back = loaded.parameters().get("model.layers.0.mlp.gate_up_proj.weight").toFloatArray();
                for (int i = 0; i < orig.length; i++) {
                    assertEquals(orig[i], back[i], Math.abs(orig[i]) / 128f + 1e-12f);
                    assertEquals(0, Float.floatToIntBits(back[i]) & 0xffff, "low mantissa bits are zero in bf16");
                }
            }
        }
    }

    @Test
    void refusesToOverwriteItsInputModel(@TempDir Path tmp) {
        try (TransformerPolicy model = TinyModels.gpt2(manager, 3)) {
            model.save(tmp.resolve("m"), ModelDirectory.SaveOptions.DEFAULT);
        }
        try (TransformerPolicy loaded = ModelDirectory.load(tmp.resolve("m"), manager)) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> loaded.save(tmp.resolve("m"), ModelDirectory.SaveOptions.DEFAULT));
            assertTrue(e.getMessage().contains("refusing to overwrite the input model"), e.getMessage());
        }
    }

    @Test
    void frozenCopyKeepsWeightsWhenOriginalChanges() {
        try (TransformerPolicy model = TinyModels.llama(manager, 5)) {
            int[] ids = {1, 2, 3, 4};
            PolicyModel ref = model.frozenCopy();
            float[] before = logitsOf(ref, ids);
            model.parameters().get("model.norm.weight").muli(2f);
            assertArrayEquals(before, logitsOf(ref, ids));
            assertTrue(before[5] != logitsOf(model, ids)[5]);
            ref.close();
        }
    }
}
