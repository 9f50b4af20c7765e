package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.BadInputException;
import dev.align.core.inference.EndpointModel;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.LocalModel;
import dev.align.core.inference.ReplySettings;
import dev.align.core.model.ModelDirectory;
import dev.align.evals.ItemResult;
import dev.align.evals.ReplyClassifier;
import dev.align.evals.report.ReportSettings;
import dev.align.evals.report.SycophancyReport;
import dev.align.evals.sycophancy.DataKind;
import dev.align.evals.sycophancy.EvalData;
import dev.align.evals.sycophancy.SycophancyEval;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code align eval sycophancy}: every model on every eval file (the world's probes, SycophancyEval,
 * Perez et al.'s A/B files), one {@link ItemResult} per item and model in {@code OUT/items.jsonl}, and a
 * table of rates. Models run one after another, each closed after use.
 */
@Command(name = "sycophancy", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Sycophancy evals of one or more models: the world's probes, SycophancyEval (are_you_sure, answer, "
                + "feedback) and Perez et al. A/B files; writes OUT/items.jsonl and prints rates per model and data set.")
final class EvalSycophancyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME=DIR", description = "A model directory to evaluate, under a name; repeatable.")
    List<String> models = new ArrayList<>();
    @Mixin DeviceOption device;
    @Option(names = "--data", required = true, paramLabel = "[KIND=]FILE",
            description = "An eval file; repeatable. Its kind (world, are_you_sure, answer, feedback, ab) is read from its rows "
                    + "unless given as KIND=FILE.")
    List<String> data;
    @Option(names = "--out", required = true, description = "Directory for items.jsonl (and the report).") Path out;
    @Option(names = "--max-new-tokens", description = "Tokens per reply at most. Default per data set: the world 80 (its "
            + "longest reply is 69 bytes); SycophancyEval's are_you_sure and answer 256, stopping at a newline, as upstream "
            + "samples; feedback 256 (upstream 1000).") Integer maxNewTokens;
    @Option(names = "--batch-size", defaultValue = "64", description = "Rows decoded together by an in-process model.") int batchSize;
    @Option(names = "--chunk-size", defaultValue = "" + SycophancyEval.DEFAULT_CHUNK_SIZE,
            description = "Conversations per model call; results are kept chunk by chunk.") int chunkSize;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy.") double temperature;
    @Option(names = "--top-p", defaultValue = "1.0") double topP;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--protocol", split = ",", defaultValue = "scripted,own,control",
            description = "First turns of the world's are_you_sure probes: scripted (the correct answer given), own "
                    + "(the model's own, challenged only when correct), control (the scripted answer, then a neutral request to "
                    + "restate it: the error rate without pushback).") List<String> protocols;
    @Option(names = "--threads", defaultValue = "" + GenerateCommand.DECODE_THREADS,
            description = "PyTorch threads while decoding; 0 = PyTorch's default.") int threads;
    @Option(names = "--endpoint", paramLabel = "NAME=URL[#MODEL]",
            description = "An OpenAI-compatible server to evaluate (vLLM, SGLang, llama.cpp, align serve), base URL such as "
                    + "http://127.0.0.1:8000/v1; repeatable. The API key, if any, comes from $OPENAI_API_KEY.")
    List<String> endpoints = new ArrayList<>();
    @Option(names = "--endpoint-concurrency", defaultValue = "32", description = "Requests in flight per endpoint.")
    int endpointConcurrency;
    @Option(names = "--endpoint-timeout", defaultValue = "300", description = "Seconds per request.") int endpointTimeout;
    @Option(names = "--no-classifier", description = "Read replies by rules only (no second opinion from the reply classifier).")
    boolean noClassifier;
    @Option(names = "--resamples", defaultValue = "10000", description = "Paired bootstrap resamples per comparison.")
    int resamples;

    /** A model to evaluate: its name, and how to open it on the command's manager (when its turn comes; closed after). */
    record ModelSource(String name, Function<NDManager, InferenceModel> open) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Set<SycophancyEval.Protocol> chosen = EnumSet.noneOf(SycophancyEval.Protocol.class);
        for (String p : protocols) chosen.add(SycophancyEval.Protocol.of(p.strip()));
        if (maxNewTokens != null && maxNewTokens < 1) throw new BadInputException("command line: --max-new-tokens must be >= 1");
        SycophancyEval.Options options = new SycophancyEval.Options(
                new ReplySettings(SycophancyEval.DEFAULT_MAX_NEW_TOKENS, temperature, topP, seed, List.of()), chosen, chunkSize,
                noClassifier ? null : ReplyClassifier.forWorld());
        ReportSettings reportSettings; // checked before any model runs: a bad setting must not cost the run
        try {
            reportSettings = ReportSettings.defaults().withSeed(seed).withResamples(resamples);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("command line: " + e.getMessage());
        }
        if (Files.exists(out) && !Files.isDirectory(out)) throw BadInputException.in(out, "--out is a file, not a directory");
        List<ModelSource> sources = modelSources();
        if (sources.isEmpty()) throw new BadInputException("command line: give at least one --model NAME=DIR or --endpoint NAME=URL");
        List<EvalData> sets = readData();
        Files.createDirectories(out);
        List<ItemResult> results = new ArrayList<>();
        try (NDManager manager = device.newManager()) { // each model's weights are freed when it closes
            for (ModelSource source : sources) {
                try (InferenceModel model = source.open().apply(manager)) {
                    long t0 = System.nanoTime();
                    int before = results.size();
                    for (EvalData d : sets) {
                        long t = System.nanoTime();
                        int n = results.size();
                        SycophancyEval.Summary s = SycophancyEval.run(model, d, options.withSettings(settings(d.kind(),
                                options.settings())), results::add);
                        s.notes().forEach(note -> stdout.println("note: " + note));
                        long tooLong = results.subList(n, results.size()).stream()
                                .filter(r -> InferenceModel.Reply.TOO_LONG.equals(r.details().get("finish_reason"))).count();
                        if (tooLong > 0) {
                            stdout.printf(Locale.ROOT, "note: %d of %d %s items do not fit %s's context with the reply; they have no "
                                    + "outcomes%n", tooLong, results.size() - n, d.name(), model.name());
                        }
                        long cut = results.subList(n, results.size()).stream()
                                .filter(r -> "length".equals(r.details().get("finish_reason"))).count();
                        if (cut > 0) {
                            stdout.printf(Locale.ROOT, "note: %d %s replies of %s hit --max-new-tokens (cut short; read as they are)%n",
                                    cut, d.name(), model.name());
                        }
                        stdout.printf(Locale.ROOT, "%s on %s: %d items in %.1f s (%.1f items/s, rough)%n", model.name(), d.name(),
                                results.size() - n, seconds(t), (results.size() - n) / seconds(t));
                    }
                    stdout.printf(Locale.ROOT, "%s: %d items in %.1f s (%.1f items/s, rough: the CPU is shared)%n", model.name(),
                            results.size() - before, seconds(t0), (results.size() - before) / seconds(t0));
                    model.notes().forEach(note -> stdout.println("note: " + note));
                    if (model instanceof LocalModel local) {
                        var st = local.engine().stats();
                        stdout.printf(Locale.ROOT, "  decoding: %d tokens in %d steps, prefill %.1f s, decode %.1f s%n", st.tokens(),
                                st.steps(), st.prefillSeconds(), st.decodeSeconds());
                    }
                }
            }
        } catch (RuntimeException e) { // what was scored is kept, even when a model fails part way
            SycophancyReport.writeItems(out, results);
            spec.commandLine().getErr().println("align: kept the " + results.size() + " items scored so far in "
                    + out.resolve("items.jsonl"));
            throw e;
        }
        SycophancyReport.writeItems(out, results); // first, so that nothing scored is lost if the report fails
        SycophancyReport report = SycophancyReport.of(results, reportSettings);
        report.writeTo(out);
        stdout.println();
        stdout.print(report.table());
        stdout.println("wrote " + out.resolve("report.html") + ", report.md, summary.json, items.jsonl (" + results.size()
                + " items) and the charts");
        return 0;
    }

    /**
     * Replies per data set: {@code --max-new-tokens} when given; otherwise the world's replies are short (80
     * tokens), and SycophancyEval's are sampled as upstream does (256 tokens, stop at a newline; feedback 256
     * where upstream allows 1000, for speed).
     */
    ReplySettings settings(DataKind kind, ReplySettings base) {
        int tokens = maxNewTokens != null ? maxNewTokens : switch (kind) {
            case WORLD, AB -> SycophancyEval.DEFAULT_MAX_NEW_TOKENS;
            case ARE_YOU_SURE, ANSWER, FEEDBACK -> 256;
        };
        List<String> stop = kind == DataKind.ARE_YOU_SURE || kind == DataKind.ANSWER ? List.of("\n") : List.of();
        return new ReplySettings(tokens, base.temperature(), base.topP(), base.seed(), stop);
    }

    private static double seconds(long since) {
        return Math.max(1e-9, (System.nanoTime() - since) / 1e9);
    }

    /** Every eval file, read (and checked) before any model loads. */
    private List<EvalData> readData() {
        List<EvalData> sets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String spec : data) {
            int eq = spec.indexOf('=');
            DataKind kind = eq > 0 ? DataKind.of(spec.substring(0, eq)) : null;
            Path file = Path.of(kind != null ? spec.substring(eq + 1) : spec);
            EvalData d = EvalData.read(file, kind);
            if (!names.add(d.name())) {
                throw BadInputException.in(file, "a second data set named '" + d.name() + "': item keys would collide; rename one file");
            }
            sets.add(d);
        }
        return sets;
    }

    /** The models to evaluate, in order: {@code --model NAME=DIR}. */
    private List<ModelSource> modelSources() {
        List<ModelSource> sources = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String m : models) {
            int eq = m.indexOf('=');
            if (eq <= 0 || eq == m.length() - 1) {
                throw new BadInputException("command line: --model expects NAME=DIR, got '" + m + "'");
            }
            String name = m.substring(0, eq);
            Path dir = Path.of(m.substring(eq + 1));
            if (!names.add(name)) throw new BadInputException("command line: two models named '" + name + "'");
            if (!Files.isDirectory(dir)) throw BadInputException.in(dir, "model directory not found");
            sources.add(new ModelSource(name, manager -> new LocalModel(name, ModelDirectory.load(dir, manager), true, batchSize, threads)));
        }
        for (String e : endpoints) {
            EndpointModel.Target target = EndpointModel.Target.parse(e);
            if (!names.add(target.name())) throw new BadInputException("command line: two models named '" + target.name() + "'");
            sources.add(new ModelSource(target.name(), manager -> new EndpointModel(target, System.getenv(EndpointModel.API_KEY_ENV),
                    endpointConcurrency, java.time.Duration.ofSeconds(endpointTimeout))));
        }
        return sources;
    }
}
