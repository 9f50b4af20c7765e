package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * full_determinism holds across processes, not only within one: two JVMs started side by side train
 * the same model ({@link DeterminismProbe}) to the same final loss and weight hash.
 */
class CrossProcessDeterminismTest {

    /** The environment the {@code align} launcher and surefire give a run (see {@code align} and pom.xml). */
    static final Map<String, String> ENVIRONMENT = Map.of("OPT_OUT_TRACKING", "true", "MKL_DYNAMIC", "FALSE",
            "OMP_DYNAMIC", "FALSE");

    @Test
    void twoJvmsTrainToTheSameBits() throws Exception {
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) processes.add(start());
        List<String> results = new ArrayList<>();
        for (Process p : processes) {
            assertTrue(p.waitFor(55, TimeUnit.SECONDS), "probe did not finish in time");
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), output);
            String result = output.lines().filter(l -> l.startsWith("loss ")).findFirst().orElse("");
            assertTrue(result.contains(" weights "), output);
            results.add(result);
        }
        assertEquals(results.get(0), results.get(1));
    }

    private static Process start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-cp",
                System.getProperty("java.class.path"), DeterminismProbe.class.getName(), "12", "64", "2");
        pb.environment().putAll(ENVIRONMENT);
        pb.redirectErrorStream(true);
        return pb.start();
    }
}
