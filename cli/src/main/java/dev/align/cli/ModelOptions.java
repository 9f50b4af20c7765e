package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code --model DIR} and {@code --device} options shared by commands that load a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "A model directory in Hugging Face layout.")
    Path model;
    @Mixin DeviceOption device;

    /** A loaded model with the manager that owns it; closing closes both. */
    record Loaded(NDManager manager, TransformerPolicy model) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            manager.close();
        }
    }

    Loaded load() {
        NDManager manager = device.newManager(); // --device cuda without CUDA is one line, before the model
        try {
            return new Loaded(manager, ModelDirectory.load(model, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }
}
