package dev.align.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Utils;
import java.util.function.Supplier;

/**
 * The one door to DJL's engine. It forces offline mode before the first Engine or tokenizer call,
 * so DJL never downloads anything nor calls the cloud metadata address at start-up.
 *
 * <p>DJL skips its start-up call when {@code ai.djl.offline} or {@code OPT_OUT_TRACKING} is true.
 * An environment variable that says otherwise ({@code DJL_OFFLINE=false}, {@code
 * OPT_OUT_TRACKING=false}) would win over our system property, so we refuse to start instead.
 *
 * <p>It also turns PyTorch's global grad mode off: gradients are recorded only inside a {@code
 * GradientCollector}, so inference builds no graph and optimizers may update parameters in place.
 */
public final class OfflineDjl {
    private static volatile Engine engine;

    private OfflineDjl() {}

    /** Sets the offline properties; safe to call any number of times. */
    public static void forceOffline() {
        refuseOnlineEnvironment("DJL_OFFLINE");
        refuseOnlineEnvironment("OPT_OUT_TRACKING");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    /** True when DJL itself sees both switches on (environment first, then system property, as DJL reads them). */
    public static boolean isOffline() {
        return Utils.isOfflineMode() && Boolean.parseBoolean(Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"));
    }

    /** The PyTorch engine, started offline. */
    public static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (OfflineDjl.class) {
                if (engine == null) {
                    forceOffline();
                    Engine started = Engine.getEngine("PyTorch");
                    JniUtils.setGradMode(false);
                    engine = started;
                }
                e = engine;
            }
        }
        return e;
    }

    /** A new root manager on the CPU. */
    public static NDManager newManager() {
        return engine().newBaseManager(Device.cpu());
    }

    /** Whether this thread records operations for autograd (true inside a {@code GradientCollector}). */
    public static boolean isRecording() {
        engine();
        return JniUtils.isGradMode();
    }

    /** Runs {@code body} with recording off on this thread, like {@code torch.no_grad()}, then restores it. */
    public static <T> T withoutRecording(Supplier<T> body) {
        boolean recording = isRecording();
        if (!recording) return body.get();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(true);
        }
    }

    /** PyTorch's intra-op thread count. */
    public static int threads() {
        engine();
        return JniUtils.getNumThreads();
    }

    /** Sets PyTorch's intra-op thread count (1 makes CPU kernels bit-reproducible). */
    public static void setThreads(int threads) {
        engine();
        JniUtils.setNumThreads(threads);
    }

    private static void refuseOnlineEnvironment(String variable) {
        String value = System.getenv(variable);
        if (value != null && !Boolean.parseBoolean(value)) {
            throw new BadInputException(
                    "environment variable " + variable + "=" + value
                            + " would let DJL go online; unset it or set it to true");
        }
    }
}
