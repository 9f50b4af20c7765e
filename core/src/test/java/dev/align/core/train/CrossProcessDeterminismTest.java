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
 * the same model ({@link DeterminismProbe}) to the same final loss and weight hash, also when one of
 * them collects garbage between every forward and backward pass (issue #8: constants autograd saved
 * lived in buffers the collector freed, so runs differed by when the JVM happened to collect).
 */
class CrossProcessDeterminismTest {

    /** The environment the {@code align} launcher and surefire give a run (see {@code align} and pom.xml). */
    static final Map<String, String> ENVIRONMENT = Map.of("OPT_OUT_TRACKING", "true", "MKL_DYNAMIC", "FALSE",
            "OMP_DYNAMIC", "FALSE");

    @Test
    void twoJvmsTrainToTheSameBits() throws Exception {
        List<String> results = results(List.of(start(12, false), start(12, false)));
        assertEquals(results.get(0), results.get(1));
    }

    @Test
    void garbageCollectionsBetweenForwardAndBackwardChangeNoBit() throws Exception {
        List<String> results = results(List.of(start(6, false), start(6, true)));
        assertEquals(results.get(0), results.get(1));
    }

    private static List<String> results(List<Process> processes) throws Exception {
        List<String> results = new ArrayList<>();
        for (Process p : processes) {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                processes.forEach(Process::destroyForcibly);
                throw new AssertionError("probe did not finish in 120 s");
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), output);
            String result = output.lines().filter(l -> l.startsWith("loss ")).findFirst().orElse("");
            assertTrue(result.contains(" weights "), output);
            results.add(result);
        }
        return results;
    }

    private static Process start(int steps, boolean collect) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-cp",
                System.getProperty("java.class.path"), DeterminismProbe.class.getName(), Integer.toString(steps), "64", "2", collect ? "gc" : "-");
        pb.environment().putAll(ENVIRONMENT);
        pb.redirectErrorStream(true);
        return pb.start();
    }
}
