package dev.align.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

class OfflineModeTest {
    @Test
    void testJvmStartsDjlOffline() {
        // Surefire must set both switches before any test touches the engine; if it stops doing so,
        // DJL would call the cloud metadata address at start-up.
        assertEquals("true", System.getProperty("ai.djl.offline"), "surefire must set ai.djl.offline=true");
        assertEquals("true", Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"), "surefire must set OPT_OUT_TRACKING");
        assertTrue(Utils.isOfflineMode(), "DJL itself must report offline mode");
    }

    @Test
    void engineEntryPointForcesOfflineEvenIfPropertyWasCleared() {
        String before = System.getProperty("ai.djl.offline");
        try {
            System.clearProperty("ai.djl.offline");
            System.clearProperty("OPT_OUT_TRACKING");
            Engine engine = OfflineDjl.engine();
            OfflineDjl.forceOffline();
            assertEquals("PyTorch", engine.getEngineName());
            assertTrue(Utils.isOfflineMode());
            assertTrue(OfflineDjl.isOffline());
        } finally {
            System.setProperty("ai.djl.offline", before == null ? "true" : before);
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }
}
