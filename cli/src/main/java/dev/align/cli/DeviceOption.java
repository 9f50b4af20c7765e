package dev.align.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import picocli.CommandLine.Option;

/** {@code --device cpu|cuda[:N]}, shared by every command that runs a model. */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda",
            description = "cpu (default) or cuda[:N]; CUDA needs libtorch 2.7.1 for CUDA 12.8 (README: GPU)")
    String name;

    /** The device; {@code cuda} without a CUDA libtorch or a visible GPU is a one-line error (exit code 2). */
    Device device() {
        return OfflineDjl.device(name);
    }

    /** A root manager on the device. */
    NDManager newManager() {
        return OfflineDjl.newManager(device());
    }
}
