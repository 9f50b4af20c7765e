package dev.align.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Utils;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.function.Supplier;

/**
 * The one door to DJL's engine. It forces offline mode before the first Engine or tokenizer call,
 * so DJL never downloads anything nor calls the cloud metadata address at start-up.
 *
 * <p>DJL skips its start-up call when {@code ai.djl.offline} or {@code OPT_OUT_TRACKING} is true.
 * An environment variable that says otherwise ({@code DJL_OFFLINE=false}, {@code
 * OPT_OUT_TRACKING=false}) would win over our system property, so we refuse to start instead.
 *
 * <p>DJL looks for libtorch in {@code PYTORCH_LIBRARY_PATH} first (DJL's documented route to a CUDA
 * build: libtorch 2.7.1 for CUDA 12.8 with {@code PYTORCH_VERSION=2.7.1} and {@code
 * PYTORCH_FLAVOR=cu128}; the pytorch-jni jar holds the matching cu128 JNI library), then in the CPU
 * jar on the class path. Its loader downloads what it lacks even when offline, so settings that
 * would send it to the network are refused before the engine starts ({@link #checkLibtorchSettings}).
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
                    checkLibtorchSettings(Utils::getEnvOrSystemProperty);
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
        return newManager(Device.cpu());
    }

    /** A new root manager on a device (see {@link #device}). */
    public static NDManager newManager(Device device) {
        return engine().newBaseManager(device);
    }

    /**
     * The device a name stands for: {@code cpu}, {@code cuda} or {@code cuda:N}. CUDA needs a CUDA
     * build of libtorch (see the class comment); without one, or with no GPU visible, this is a
     * one-line {@link BadInputException} saying how to get it.
     */
    public static Device device(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) return Device.cpu();
        int index;
        if (n.equals("cuda") || n.equals("gpu")) {
            index = 0;
        } else if (n.matches("(cuda|gpu):\\d+")) {
            index = Integer.parseInt(n.substring(n.indexOf(':') + 1));
        } else {
            throw new BadInputException("device '" + name + "': expected cpu, cuda or cuda:N");
        }
        int gpus = engine().getGpuCount();
        if (gpus == 0) {
            throw new BadInputException("device " + name + ": PyTorch sees no CUDA GPU (libtorch " + engine().getVersion()
                    + " from " + ai.djl.pytorch.jni.LibUtils.getLibtorchPath() + "); install libtorch " + JNI_PYTORCH_VERSION
                    + " for CUDA 12.8 and set PYTORCH_LIBRARY_PATH to its lib directory, PYTORCH_VERSION=" + JNI_PYTORCH_VERSION
                    + " and PYTORCH_FLAVOR=cu128 (README: GPU)");
        }
        if (index >= gpus) throw new BadInputException("device " + name + ": only " + gpus + " CUDA GPU(s) visible");
        return Device.gpu(index);
    }

    /** Whether this thread records operations for autograd (true inside a {@code GradientCollector}). */
    public static boolean isRecording() {
        engine();
        return JniUtils.isGradMode();
    }

    /** Runs {@code body} with recording off on this thread, like {@code torch.no_grad()}, then restores it. */
    public static <T> T withoutRecording(Supplier<T> body) {
        try (NoGrad off = noGrad()) {
            return body.get();
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

    /** The PyTorch version the pytorch-jni jar on the class path was built for. */
    static final String JNI_PYTORCH_VERSION = jniVersion();

    private static String jniVersion() {
        try (InputStream in = JniUtils.class.getResourceAsStream("/jnilib/pytorch.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            String v = p.getProperty("jni_version", "2.7.1-");
            return v.substring(0, v.indexOf('-') < 0 ? v.length() : v.indexOf('-'));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Refuses libtorch settings that would make DJL's loader download (a {@code PYTORCH_VERSION} other
     * than the JNI jar's) or fail obscurely (a {@code PYTORCH_LIBRARY_PATH} without libtorch, a
     * flavor with no JNI library in the jar). {@code settings} reads a variable as DJL does:
     * environment first, then system property.
     */
    static void checkLibtorchSettings(UnaryOperator<String> settings) {
        String version = settings.apply("PYTORCH_VERSION");
        if (version != null && !version.isEmpty() && !version.startsWith(JNI_PYTORCH_VERSION)) {
            throw new BadInputException("PYTORCH_VERSION=" + version + ": this build's PyTorch JNI library is for "
                    + JNI_PYTORCH_VERSION + " only (DJL would try to download another); set PYTORCH_VERSION="
                    + JNI_PYTORCH_VERSION + " and use libtorch " + JNI_PYTORCH_VERSION);
        }
        String libraryPath = settings.apply("PYTORCH_LIBRARY_PATH");
        if (libraryPath == null || libraryPath.isEmpty()) return;
        String libtorch = System.mapLibraryName("torch");
        boolean found = false;
        for (String dir : libraryPath.split(File.pathSeparator)) {
            Path p = Path.of(dir);
            found |= Files.isRegularFile(p.resolve(libtorch)) || p.getFileName() != null && p.getFileName().toString().equals(libtorch);
        }
        if (!found) {
            throw new BadInputException("PYTORCH_LIBRARY_PATH=" + libraryPath + ": no " + libtorch
                    + " there (point it at libtorch's lib directory)");
        }
        String flavor = settings.apply("PYTORCH_FLAVOR");
        if (flavor == null || flavor.isEmpty()) {
            throw new BadInputException("PYTORCH_LIBRARY_PATH is set but PYTORCH_FLAVOR is not: set PYTORCH_FLAVOR=cu128 for "
                    + "libtorch built for CUDA 12.8 (or cpu)");
        }
        String classifier = ai.djl.util.Platform.detectPlatform("pytorch").getClassifier();
        String jni = "/jnilib/" + classifier + "/" + flavor + "/" + System.mapLibraryName("djl_torch");
        if (JniUtils.class.getResource(jni) == null) {
            throw new BadInputException("PYTORCH_FLAVOR=" + flavor + ": the pytorch-jni jar has no JNI library for it on "
                    + classifier + " (it has cpu and, on linux-x86_64, cu128)");
        }
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
