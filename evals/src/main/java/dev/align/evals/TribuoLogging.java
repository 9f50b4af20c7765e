package dev.align.evals;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tribuo and OLCUT log every training run at INFO through java.util.logging; align's output has no such
 * lines. The loggers are held strongly here (java.util.logging keeps only weak references, and a
 * collected logger would forget its level).
 */
public final class TribuoLogging {
    private static final Logger TRIBUO = Logger.getLogger("org.tribuo");
    private static final Logger OLCUT = Logger.getLogger("com.oracle.labs.mlrg.olcut");

    static {
        TRIBUO.setLevel(Level.WARNING);
        OLCUT.setLevel(Level.WARNING);
    }

    private TribuoLogging() {}

    /** Call before any Tribuo training: quiets both loggers for the whole process (idempotent). */
    public static void quiet() {
        // the static initialiser did the work
    }
}
