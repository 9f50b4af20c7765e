package dev.align.core;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base for tests that need NDArrays: one offline engine manager per test class. */
public abstract class EngineTest {
    protected static NDManager manager;

    @BeforeAll
    static void startManager() {
        manager = OfflineDjl.newManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }
}
