package dev.align.cli;

import dev.align.core.rollout.RolloutConfig;
import dev.align.core.serve.OpenAiServer;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align serve}: an OpenAI-compatible server for one model directory, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Serve a model over an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models, /health).")
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--port", defaultValue = "8000", description = "Port to listen on; 0 = any free port.") int port;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (loopback by default).") String host;
    @Option(names = "--served-model-name", description = "The model name clients send (default: --model as given).") String servedName;
    @Option(names = "--max-batch-size", defaultValue = "" + RolloutConfig.DEFAULT_MAX_BATCH_SIZE,
            description = "Rows decoded together.") int maxBatchSize;
    @Option(names = "--threads", defaultValue = "" + GenerateCommand.DECODE_THREADS,
            description = "PyTorch threads while decoding; 0 = PyTorch's default.") int threads;

    @Override
    public Integer call() {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (maxBatchSize < 1) throw new IllegalArgumentException("--max-batch-size must be >= 1, got " + maxBatchSize);
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        String name = servedName != null ? servedName : modelOptions.model.toString();
        CountDownLatch stopped = new CountDownLatch(1);
        try (ModelOptions.Loaded loaded = modelOptions.load();
                OpenAiServer server = OpenAiServer.start(loaded.model(), name, new InetSocketAddress(host, port),
                        maxBatchSize, threads)) {
            Thread hook = new Thread(() -> {
                server.close(); // Ctrl-C: stop accepting, let the main thread close the model
                stopped.countDown();
            }, "align-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            PrintWriter out = spec.commandLine().getOut();
            out.println("align serve: " + server.baseUrl() + " (model '" + name + "'; Ctrl-C stops)");
            if (!server.bindAddress().isLoopbackAddress()) {
                spec.commandLine().getErr().println("align serve: warning: listening on " + host + ", reachable from other "
                        + "machines, with no authentication");
            }
            out.flush();
            try {
                stopped.await();
            } catch (InterruptedException e) { // an embedding caller (a test) stops it by interrupting
                Thread.currentThread().interrupt();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already stopping: the hook has run
            }
        }
        return 0;
    }
}
