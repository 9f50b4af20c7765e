package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.Safetensors;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align init}: a new randomly initialised model directory in HF layout. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a new, randomly initialised model directory (config.json, model.safetensors, tokenizer.json).")
final class InitCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--arch", defaultValue = "llama", description = "llama, qwen2 or gpt2 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--layers", defaultValue = "2") int layers;
    @Option(names = "--hidden", defaultValue = "64") int hidden;
    @Option(names = "--heads", defaultValue = "4") int heads;
    @Option(names = "--kv-heads", description = "Key/value heads for grouped-query attention (default: --heads).")
    Integer kvHeads;
    @Option(names = "--intermediate", description = "MLP width (default: 4·hidden for gpt2, else ⌈8/3·hidden⌉ to a multiple of 16).")
    Integer intermediate;
    @Option(names = "--max-positions", defaultValue = "1024") int maxPositions;
    @Option(names = "--tokenizer", defaultValue = "byte",
            description = "'byte' (built-in, 256 bytes + specials), or a tokenizer.json / a directory holding one.")
    String tokenizer;
    @Option(names = "--tie-embeddings", negatable = true, defaultValue = "true",
            description = "Share input embedding and LM head (Llama family; gpt2 always ties).")
    boolean tie;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or bf16 for model.safetensors.")
    String dtype;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--out", required = true) Path out;
    @Option(names = "--overwrite", description = "Replace a non-empty output directory.") boolean overwrite;
    @Mixin DeviceOption device;

    @Override
    public Integer call() throws IOException {
        refuseNonEmpty(out, overwrite);
        ai.djl.Device onDevice = device.device(); // before any work: --device cuda without CUDA is one line
        Tokenizer tok = loadTokenizer(tokenizer);
        int vocab = tok.vocabSize();
        int kv = kvHeads == null ? heads : kvHeads;
        if (hidden % heads != 0) throw new BadInputException("--hidden (" + hidden + ") must be a multiple of --heads (" + heads + ")");
        ModelConfig config = switch (arch) {
            case "gpt2" -> {
                ModelConfig g = ModelConfig.gpt2(vocab, hidden, layers, heads, maxPositions);
                yield intermediate == null ? g : new ModelConfig("gpt2", vocab, hidden, layers, heads, heads, hidden / heads,
                        intermediate, maxPositions, g.normEps(), 0, null, true, true, g.hiddenAct(), g.raw());
            }
            case "llama", "qwen2", "mistral" -> ModelConfig.llama(arch, vocab, hidden, layers, heads, kv,
                    intermediate != null ? intermediate : (int) Math.ceil(8.0 / 3 * hidden / 16) * 16, maxPositions, tie);
            default -> throw new BadInputException("--arch: unknown architecture '" + arch + "' (llama, qwen2, mistral, gpt2)");
        };
        Safetensors.DType d = switch (dtype.toLowerCase()) {
            case "f32", "float32" -> Safetensors.DType.F32;
            case "bf16", "bfloat16" -> Safetensors.DType.BF16;
            default -> throw new BadInputException("--dtype: expected f32 or bf16, got '" + dtype + "'");
        };
        try (NDManager manager = OfflineDjl.newManager(onDevice);
                TransformerPolicy model = TransformerPolicy.initialize(manager, config, tok, seed)) {
            model.save(out, new ModelDirectory.SaveOptions(d));
            long params = model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            spec.commandLine().getOut().printf("wrote %s: %s, %d layers, hidden %d, %d heads (%d kv), vocab %d, %,d parameters%n",
                    out, config.modelType(), layers, hidden, heads, config.numKvHeads(), vocab, params);
        }
        return 0;
    }

    static Tokenizer loadTokenizer(String spec) {
        if (spec.equals("byte")) return Tokenizer.byteLevel();
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) return Tokenizer.load(p, List.of());
        if (!Files.exists(p)) throw BadInputException.in(p, "tokenizer file not found (use 'byte' for the built-in one)");
        Path cfg = p.resolveSibling(Tokenizer.CONFIG_FILE);
        try {
            return Tokenizer.of(Files.readString(p), Files.exists(cfg) ? dev.align.core.io.Json.readObject(cfg) : null,
                    List.of(), p);
        } catch (IOException e) {
            throw BadInputException.in(p, "cannot read: " + e.getMessage());
        }
    }

    static void refuseNonEmpty(Path dir, boolean overwrite) throws IOException {
        if (Files.isDirectory(dir) && !overwrite) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw BadInputException.in(dir, "output directory is not empty; pass --overwrite to replace it");
                }
            }
        }
    }
}
