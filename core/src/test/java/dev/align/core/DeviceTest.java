package dev.align.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceTest {
    static String refused(Map<String, String> settings) {
        return assertThrows(BadInputException.class, () -> OfflineDjl.checkLibtorchSettings(settings::get)).getMessage();
    }

    @Test
    void libtorchSettingsThatWouldMakeDjlDownloadAreRefusedBeforeTheEngineStarts(@TempDir Path tmp) throws Exception {
        OfflineDjl.checkLibtorchSettings(Map.<String, String>of()::get); // nothing set: the CPU jar on the class path
        assertTrue(refused(Map.of("PYTORCH_VERSION", "2.5.1")).startsWith(
                "PYTORCH_VERSION=2.5.1: this build's PyTorch JNI library is for 2.7.1 only"));
        String libtorch = System.mapLibraryName("torch");
        assertEquals("PYTORCH_LIBRARY_PATH=" + tmp + ": no " + libtorch + " there (point it at libtorch's lib directory)",
                refused(Map.of("PYTORCH_VERSION", "2.7.1", "PYTORCH_LIBRARY_PATH", tmp.toString())));
        Files.writeString(tmp.resolve(libtorch), "not really a library");
        assertTrue(refused(Map.of("PYTORCH_LIBRARY_PATH", tmp.toString())).contains("PYTORCH_FLAVOR is not"));
        assertTrue(refused(Map.of("PYTORCH_LIBRARY_PATH", tmp.toString(), "PYTORCH_FLAVOR", "cu121"))
                .startsWith("PYTORCH_FLAVOR=cu121: the pytorch-jni jar has no JNI library for it"));
        String classifier = ai.djl.util.Platform.detectPlatform("pytorch").getClassifier();
        if (classifier.equals("linux-x86_64")) { // the jar's cu128 JNI library: DJL's local-libtorch route for CUDA 12.8
            OfflineDjl.checkLibtorchSettings(Map.of("PYTORCH_LIBRARY_PATH", tmp.toString(), "PYTORCH_FLAVOR", "cu128",
                    "PYTORCH_VERSION", "2.7.1")::get);
        }
        OfflineDjl.checkLibtorchSettings(Map.of("PYTORCH_LIBRARY_PATH", tmp.toString(), "PYTORCH_FLAVOR", "cpu")::get);
    }

    @Test
    void cpuIsTheDefaultAndCudaWithoutAGpuIsOneLineSayingHowToGetIt() {
        assertEquals(Device.cpu(), OfflineDjl.device("cpu"));
        try (NDManager m = OfflineDjl.newManager()) {
            assertEquals(Device.cpu(), m.getDevice());
        }
        assertEquals("device 'tpu': expected cpu, cuda or cuda:N",
                assertThrows(BadInputException.class, () -> OfflineDjl.device("tpu")).getMessage());
        assumeTrue(OfflineDjl.engine().getGpuCount() == 0, "a CUDA libtorch with a GPU is present");
        String message = assertThrows(BadInputException.class, () -> OfflineDjl.device("cuda")).getMessage();
        assertTrue(message.startsWith("device cuda: PyTorch sees no CUDA GPU (libtorch 2.7.1"), message);
        assertTrue(message.contains("PYTORCH_LIBRARY_PATH") && message.contains("PYTORCH_FLAVOR=cu128"), message);
        assertEquals(1, message.lines().count());
    }
}
