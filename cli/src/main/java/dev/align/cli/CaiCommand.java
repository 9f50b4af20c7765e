package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.constitutional.CritiqueConfig;
import dev.align.constitutional.CritiqueRevision;
import dev.align.constitutional.FeedbackConfig;
import dev.align.constitutional.FeedbackPreferences;
import dev.align.constitutional.PromptRow;
import dev.align.core.BadInputException;
import dev.align.core.config.ConfigBinder;
import dev.align.core.config.RunDirectory;
import dev.align.core.inference.EndpointModel;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.LocalModel;
import dev.align.core.model.ModelDirectory;
import dev.align.datasets.constitution.Constitution;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align cai}: Constitutional AI's two stages, critique → revision (SL-CAI) and AI-feedback preferences (RL-CAI). */
@Command(name = "cai", mixinStandardHelpOptions = true, subcommands = {CaiCommand.Sl.class, CaiCommand.Prefs.class},
        description = "Constitutional AI (Bai et al. 2022): 'cai sl' critiques and revises the model's own responses against a "
                + "constitution (SFT rows); 'cai prefs' labels response pairs with AI feedback read from the (A)/(B) log-probs.")
final class CaiCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.BAD_INPUT;
    }

    /** What both stages take: a model (a directory or an endpoint), prompts, a constitution, an output. */
    static final class StageOptions {
        @Option(names = "--model", description = "The policy: a model directory in Hugging Face layout.") Path model;
        @Option(names = {"--prompts", "--data"}, description = "JSONL rows with a 'prompt' (a string or messages ending with a "
                + "user turn); any other columns are kept in the output.") Path prompts;
        @Option(names = "--constitution", description = "A constitution YAML file, or a bundled one by name: honesty, harmless.")
        String constitution;
        @Option(names = "--out", description = "Output (see the command's description).") Path out;
        @Option(names = "--config", description = "YAML with the command's keys (and model, prompts, constitution, out); "
                + "flags override it.") Path config;
        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;
        @Option(names = "--skip-bad-lines", description = "Skip and count malformed prompt lines instead of stopping.") boolean skipBadLines;
        @Option(names = "--batch-size", defaultValue = "64", description = "Rows decoded together by an in-process model.") int batchSize;
        @Option(names = "--threads", defaultValue = "" + GenerateCommand.DECODE_THREADS,
                description = "PyTorch threads while decoding; 0 = PyTorch's default.") int threads;
        @Option(names = "--endpoint-concurrency", defaultValue = "32", description = "Requests in flight to an endpoint.") int concurrency;
        @Option(names = "--endpoint-timeout", defaultValue = "300", description = "Seconds per endpoint request.") int timeout;
        @Mixin DeviceOption device;

        /** Settings: defaults, then the --config file (its path keys taken out first), then flags. */
        <T extends Record> T resolve(ConfiguredCommand<T> command, CommandSpec spec, Map<String, Path> pathKeys) {
            List<ConfigBinder.Source> layers = new ArrayList<>();
            if (config != null) {
                Map<String, Object> file = ConfiguredCommand.configFile(config, "cai " + spec.name(), spec, device);
                if (model == null && file.get("model") != null) model = Path.of(file.get("model").toString());
                if (prompts == null && file.get("prompts") != null) prompts = Path.of(file.get("prompts").toString());
                if (constitution == null && file.get("constitution") != null) constitution = file.get("constitution").toString();
                if (out == null && file.get("out") != null) out = Path.of(file.get("out").toString());
                for (String k : List.of("model", "prompts", "constitution", "out")) file.remove(k);
                for (String k : pathKeys.keySet()) {
                    Object v = file.remove(k);
                    if (v != null && pathKeys.get(k) == null) pathKeys.put(k, Path.of(v.toString()));
                }
                layers.add(new ConfigBinder.Source(config.toString(), file));
            }
            layers.add(new ConfigBinder.Source("command line", ConfiguredCommand.flags(spec)));
            for (var required : new Object[][] {{"--prompts", prompts}, {"--constitution", constitution}, {"--out", out}}) {
                if (required[1] == null) {
                    throw new BadInputException("missing required option '" + required[0] + "' (or key '"
                            + ((String) required[0]).substring(2) + "' in --config)");
                }
            }
            return ConfigBinder.of(command.configType()).bind(command.defaults(), layers);
        }

        InferenceModel local(String name, Path dir, NDManager manager) {
            if (!Files.isDirectory(dir)) throw BadInputException.in(dir, "model directory not found");
            return new LocalModel(name, ModelDirectory.load(dir, manager), true, batchSize, threads);
        }

        /** {@code URL[#MODEL]} or {@code NAME=URL[#MODEL]}. */
        InferenceModel endpoint(String spec) {
            EndpointModel.Target target = EndpointModel.Target.parse(spec.contains("=") && spec.indexOf('=') < spec.indexOf("://")
                    ? spec : "endpoint=" + spec);
            return new EndpointModel(target, System.getenv(EndpointModel.API_KEY_ENV), concurrency, java.time.Duration.ofSeconds(timeout));
        }

        /** config.yaml-style provenance recorded with the outputs. */
        Map<String, Object> provenance(String command, Map<String, Object> settings, Map<String, Object> inputs) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("command", command);
            inputs.forEach((k, v) -> p.put(k, v == null ? null : v.toString()));
            p.put("prompts", prompts.toString());
            p.put("constitution", constitution);
            p.put("device", device.name);
            p.put("settings", settings);
            return p;
        }
    }

    /** {@code align cai sl}: responses, critiques, revisions; {@code OUT/revisions.jsonl}; with --train, SFT on them. */
    @Command(name = "sl", mixinStandardHelpOptions = true,
            description = "SL-CAI: sample a response per prompt, then critique and revise it against a principle drawn from the "
                    + "constitution, --rounds times; writes OUT/revisions.jsonl (prompt + final revision as SFT rows, every "
                    + "step kept) and OUT/summary.json. With --train, runs 'align sft' on the revisions into OUT/model.")
    static final class Sl implements Callable<Integer>, ConfiguredCommand<CritiqueConfig> {
        @Spec CommandSpec spec;
        @Mixin StageOptions options;
        @Option(names = "--endpoint", paramLabel = "URL[#MODEL]", description = "An OpenAI-compatible server to use in place "
                + "of --model (base URL such as http://127.0.0.1:8000/v1; $OPENAI_API_KEY if set).") String endpoint;
        @Option(names = "--train", description = "Fine-tune --model on the revisions straight away ('align sft' into OUT/model).")
        boolean train;
        @Option(names = "--sft-config", description = "YAML of 'align sft' keys for --train (learning_rate, max_steps, ...).")
        Path sftConfig;

        @Override
        public Class<CritiqueConfig> configType() {
            return CritiqueConfig.class;
        }

        @Override
        public CritiqueConfig defaults() {
            return CritiqueConfig.DEFAULTS;
        }

        @Override
        public Integer call() {
            CritiqueConfig config = options.resolve(this, spec, new LinkedHashMap<>());
            PrintWriter out = spec.commandLine().getOut();
            if ((options.model == null) == (endpoint == null)) {
                throw new BadInputException("command line: give --model DIR or --endpoint URL (one of them)");
            }
            if (train && options.model == null) throw new BadInputException("command line: --train needs --model (weights to fine-tune)");
            Map<String, Path> inputs = new LinkedHashMap<>();
            inputs.put("--model", options.model);
            inputs.put("--prompts", options.prompts);
            RunDirectory.checkApart(options.out, inputs);
            checkFresh(options.out, options.overwrite);
            Constitution constitution = Constitution.load(options.constitution);
            List<PromptRow> rows = PromptRow.read(options.prompts, false, options.skipBadLines);
            long t0 = System.nanoTime();
            CritiqueRevision.Result result;
            try (NDManager manager = options.device.newManager();
                    InferenceModel model = options.model != null ? options.local("policy", options.model, manager) : options.endpoint(endpoint)) {
                result = CritiqueRevision.run(model, constitution, rows, config, out);
                model.notes().forEach(n -> out.println("note: " + n));
            }
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("model", options.model);
            in.put("endpoint", endpoint);
            Map<String, Object> summary = CritiqueRevision.write(options.out, result, constitution, config,
                    options.provenance("cai sl", ConfigBinder.of(CritiqueConfig.class).toMap(config), in));
            out.printf(Locale.ROOT, "cai sl: %d rows in %.0f s: %s revised, %s changed; wrote %s and %s%n", result.revised().size(),
                    (System.nanoTime() - t0) / 1e9, summary.get("revised"), summary.get("changed"),
                    options.out.resolve(CritiqueRevision.REVISIONS), options.out.resolve(CritiqueRevision.SUMMARY));
            if (summary.get("verifiable") instanceof Map<?, ?> v) {
                out.printf(Locale.ROOT, "verifiable rows: original correct %.3f, revision correct %.3f (%s fixed, %s broken)%n",
                        v.get("original_correct"), v.get("revision_correct"), v.get("fixed"), v.get("broken"));
            }
            if (!train) return 0;
            List<String> args = new ArrayList<>(List.of("sft", "--model", options.model.toString(), "--data",
                    options.out.resolve(CritiqueRevision.REVISIONS).toString(), "--out", options.out.resolve("model").toString(),
                    "--device", options.device.name));
            if (sftConfig != null) args.addAll(List.of("--config", sftConfig.toString()));
            out.println("cai sl --train: align " + String.join(" ", args));
            out.flush();
            return Main.run(args.toArray(String[]::new), out, spec.commandLine().getErr());
        }
    }

    /** {@code align cai prefs}: AI-feedback preference pairs with soft labels. */
    @Command(name = "prefs", mixinStandardHelpOptions = true,
            description = "RL-CAI's feedback: sample two responses per prompt from --model (or take a preference file's own "
                    + "pairs), ask the feedback model each principle's multiple-choice question in both orders, read (A)/(B) from "
                    + "its log-probs; writes OUT (chosen, rejected, soft label: 'align rm' and 'align dpo' read it as it is) and "
                    + "OUT-summary.json (position bias; agreement with a relabelled file's labels).")
    static final class Prefs implements Callable<Integer>, ConfiguredCommand<FeedbackConfig> {
        @Spec CommandSpec spec;
        @Mixin StageOptions options;
        @Option(names = "--feedback-model", description = "The feedback model directory (default: --model).") Path feedbackModel;
        @Option(names = "--endpoint", paramLabel = "URL[#MODEL]", description = "An OpenAI-compatible feedback model (needs "
                + "continue_final_message and top_logprobs: vLLM, align serve).") String endpoint;
        @Option(names = "--relabel", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "A preference file's own pairs are judged (default); --no-relabel samples new pairs from its prompts.")
        boolean relabel;

        @Override
        public Class<FeedbackConfig> configType() {
            return FeedbackConfig.class;
        }

        @Override
        public FeedbackConfig defaults() {
            return FeedbackConfig.DEFAULTS;
        }

        @Override
        public Integer call() {
            FeedbackConfig config = options.resolve(this, spec, new LinkedHashMap<>());
            PrintWriter out = spec.commandLine().getOut();
            if (feedbackModel != null && endpoint != null) {
                throw new BadInputException("command line: give --feedback-model or --endpoint, not both");
            }
            if (Files.isDirectory(options.out)) throw BadInputException.in(options.out, "--out is a directory; give a .jsonl file");
            if (Files.exists(options.out) && !options.overwrite) {
                throw BadInputException.in(options.out, "exists; pass --overwrite to replace it");
            }
            for (Path in : new Path[] {options.model, feedbackModel, options.prompts}) {
                if (in != null && Files.exists(in) && Files.exists(options.out) && sameFile(in, options.out)) {
                    throw BadInputException.in(options.out, "--out is an input; choose another file");
                }
            }
            Constitution constitution = Constitution.load(options.constitution);
            List<PromptRow> rows = PromptRow.read(options.prompts, relabel, options.skipBadLines);
            boolean needPolicy = rows.stream().anyMatch(r -> !r.hasPair());
            if (needPolicy && options.model == null) {
                throw new BadInputException("command line: the prompts have no pairs; give --model to sample two responses per prompt");
            }
            if (!needPolicy && options.model == null && feedbackModel == null && endpoint == null) {
                throw new BadInputException("command line: give --model, --feedback-model or --endpoint to judge the pairs");
            }
            long t0 = System.nanoTime();
            FeedbackPreferences.Result result;
            try (NDManager manager = options.device.newManager();
                    InferenceModel policy = needPolicy || (feedbackModel == null && endpoint == null)
                            ? options.local("policy", options.model, manager) : null;
                    InferenceModel separate = endpoint != null ? options.endpoint(endpoint)
                            : feedbackModel != null ? options.local("feedback", feedbackModel, manager) : null) {
                InferenceModel feedback = separate != null ? separate : policy;
                result = FeedbackPreferences.run(needPolicy ? policy : null, feedback, constitution, rows, config, out);
                feedback.notes().forEach(n -> out.println("note: " + n));
            }
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("model", options.model);
            in.put("feedback_model", feedbackModel != null ? feedbackModel : endpoint != null ? endpoint : options.model);
            Map<String, Object> summary = FeedbackPreferences.write(options.out, result,
                    options.provenance("cai prefs", ConfigBinder.of(FeedbackConfig.class).toMap(config), in));
            @SuppressWarnings("unchecked")
            Map<String, Object> bias = (Map<String, Object>) summary.get("position_bias");
            out.printf(Locale.ROOT, "cai prefs: %d pairs in %.0f s (%d identical left out, %d too long); mean label %s%n",
                    result.labelled().size(), (System.nanoTime() - t0) / 1e9, result.identical(), result.tooLong(), summary.get("mean_label"));
            out.printf(Locale.ROOT, "position bias: the answer followed the order, not the content, in %s of %s question pairs; "
                    + "mean P(A) %s%n", bias.get("followed_position"), bias.get("question_pairs"), bias.get("mean_probability_a"));
            if (summary.get("agreement_with_input") instanceof Map<?, ?> agree) {
                agree.forEach((k, v) -> out.printf(Locale.ROOT, "agreement with the input's labels (%s): %s%n", k, v));
            }
            out.printf("wrote %s and %s%n", options.out, FeedbackPreferences.summaryFile(options.out));
            return 0;
        }

        private static boolean sameFile(Path a, Path b) {
            try {
                return Files.isSameFile(a, b);
            } catch (java.io.IOException e) {
                return false;
            }
        }
    }

    /** Refuses to replace an existing, non-empty output directory unless asked. */
    static void checkFresh(Path out, boolean overwrite) {
        try (var entries = Files.exists(out) ? Files.list(out) : java.util.stream.Stream.<Path>empty()) {
            if (entries.findAny().isPresent() && !overwrite) throw BadInputException.in(out, "exists and is not empty; pass --overwrite to replace it");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
