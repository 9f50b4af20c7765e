package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.align.core.BadInputException;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadModelDirectoryTest extends EngineTest {

    private static Path savedModel(Path tmp) {
        Path dir = tmp.resolve("m");
        try (var model = TinyModels.llama(manager, 1)) {
            model.save(dir, ModelDirectory.SaveOptions.DEFAULT);
        }
        return dir;
    }

    private static void assertOneLineError(Path dir, String expected) {
        BadInputException e = assertThrows(BadInputException.class, () -> ModelDirectory.load(dir, manager).close());
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void missingDirectory(@TempDir Path tmp) {
        assertOneLineError(tmp.resolve("nope"), tmp.resolve("nope") + ": model directory not found");
    }

    @Test
    void missingFiles(@TempDir Path tmp) throws Exception {
        Path dir = savedModel(tmp);
        Files.delete(dir.resolve("tokenizer.json"));
        assertOneLineError(dir, dir.resolve("tokenizer.json") + ": file not found");
        Files.delete(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("tokenizer.json"), dev.align.core.tokenizer.ByteLevelVocabulary.tokenizerJson());
        assertOneLineError(dir, dir.resolve("model.safetensors") + ": file not found");
        Files.delete(dir.resolve("config.json"));
        assertOneLineError(dir, dir.resolve("config.json") + ": file not found");
    }

    @Test
    void unknownModelType(@TempDir Path tmp) throws Exception {
        Path dir = savedModel(tmp);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"llama\"", "\"mamba\""));
        assertOneLineError(dir, config + ": field 'model_type': unknown model_type 'mamba' (supported: llama, qwen2, mistral, gpt2)");
    }

    @Test
    void tensorShapeDisagreesWithConfig(@TempDir Path tmp) throws Exception {
        Path dir = savedModel(tmp);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"intermediate_size\" : 64", "\"intermediate_size\" : 80"));
        assertOneLineError(dir, dir.resolve("model.safetensors")
                + ": tensor 'model.layers.0.mlp.gate_proj.weight' has shape [64, 32] but config.json implies [80, 32]");
    }

    @Test
    void truncatedSafetensors(@TempDir Path tmp) throws Exception {
        Path dir = savedModel(tmp);
        Path weights = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(all, all.length - 100));
        BadInputException e = assertThrows(BadInputException.class, () -> ModelDirectory.load(dir, manager));
        assertEquals(true, e.getMessage().startsWith(weights + ": truncated safetensors file: tensor '"), e.getMessage());
        Files.write(weights, Arrays.copyOf(all, 5));
        assertOneLineError(dir, weights + ": truncated safetensors file (5 bytes, no header)");
    }

    @Test
    void invalidJsonNamesTheLine(@TempDir Path tmp) throws Exception {
        Path dir = savedModel(tmp);
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\n  \"model_type\": \"llama\",\n  oops\n}");
        BadInputException e = assertThrows(BadInputException.class, () -> ModelDirectory.load(dir, manager));
        assertEquals(true, e.getMessage().startsWith(config + ": invalid JSON at line 3:"), e.getMessage());
    }
}
