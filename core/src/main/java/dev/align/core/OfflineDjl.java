package dev.align.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Utils;

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

    /**
     * Turns gradient recording off on the calling thread until closed, then restores the thread's
     * previous mode. PyTorch's grad mode is per thread and on by default in every new thread, so
     * {@link #engine()} switching it off covers only the thread that started the engine: inference on
     * any other thread (a worker pool, a test's thread) must call this or it builds an autograd graph.
     */
    public static NoGrad noGrad() {
        engine();
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        return () -> JniUtils.setGradMode(previous);
    }

    /** Restores the grad mode {@link #noGrad()} found; closing throws nothing. */
    public interface NoGrad extends AutoCloseable {
        @Override
        void close();
    }

    /** A new root manager on the CPU. */
    public static NDManager newManager() {
        return engine().newBaseManager(Device.cpu());
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
