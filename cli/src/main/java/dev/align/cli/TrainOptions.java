package dev.align.cli;

import dev.align.core.BadInputException;
import dev.align.core.config.ConfigBinder;
import dev.align.core.config.RunDirectory;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import dev.align.core.tokenizer.Tokenizer;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.ExampleEncoder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * What every training command shares besides its config record: the paths, {@code --config}, resume
 * and overwrite, {@code --device}, and the checks that run before any work. Settings resolve as
 * defaults, then the YAML file, then flags ({@link ConfiguredCommand}).
 */
final class TrainOptions {
    // --model, --data and --out are required, but a --config file (a run's config.yaml) may give them.
    @Option(names = "--model", description = "Starting model directory (HF layout); required unless --config gives 'model'.") Path model;
    @Option(names = {"--data", "--prompts"}, description = "Training data in the command's format (see above; prompts for the"
            + " online methods); required unless --config gives 'data'.") Path data;
    @Option(names = {"--eval-data", "--eval-prompts"}, description = "Held-out data in the same format, evaluated every"
            + " --eval-steps.") Path evalData;
    @Option(names = "--out", description = "Run directory: checkpoints, metrics.jsonl, config.yaml, final model; required unless --config gives 'out'.") Path out;
    @Option(names = "--config", description = "YAML file of settings (HF/TRL names, e.g. learning_rate; a run's config.yaml"
            + " too: model, data, eval_data, out, device); flags override it.") Path config;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.") boolean resume;
    @Option(names = "--overwrite", description = "Replace a finished or unfinished run in --out.") boolean overwrite;
    @Option(names = "--skip-bad-lines", description = "Skip and count malformed data lines instead of stopping.") boolean skipBadLines;
    @Mixin DeviceOption device;

    /**
     * The command's settings: its defaults, then the --config file, then flags. The file may also give
     * this class's paths and device under config.yaml's keys (a flag wins), and a {@code command} key
     * naming this command. Reads no data, writes nothing.
     */
    <T extends Record> T resolve(ConfiguredCommand<T> command, CommandSpec spec) {
        List<ConfigBinder.Source> layers = new ArrayList<>();
        if (config != null) {
            Map<String, Object> file = ConfiguredCommand.configFile(config, spec.name(), spec, device);
            model = fromFile(file, "model", model);
            data = fromFile(file, "data", data);
            evalData = fromFile(file, "eval_data", evalData);
            out = fromFile(file, "out", out);
            layers.add(new ConfigBinder.Source(config.toString(), file));
        }
        layers.add(new ConfigBinder.Source("command line", ConfiguredCommand.flags(spec)));
        for (var required : new Object[][] {{"--model", model}, {"--data", data}, {"--out", out}}) {
            if (required[1] == null) {
                throw new BadInputException("missing required option '" + required[0] + "' (or key '"
                        + ((String) required[0]).substring(2) + "' in --config)");
            }
        }
        ConfigBinder<T> binder = ConfigBinder.of(command.configType());
        T settings = binder.bind(command.defaults(), layers);
        if (evalData == null && binder.toMap(settings).get("eval_steps") instanceof Integer steps && steps > 0) {
            throw new BadInputException("eval_steps is " + steps + " but there is no --eval-data to evaluate");
        }
        return settings;
    }

    /** A path key of the --config file, removed from it; the flag's value when the flag was given. */
    private Path fromFile(Map<String, Object> file, String key, Path flag) {
        Object v = file.remove(key);
        if (flag != null || v == null) return flag;
        if (v instanceof Map<?, ?> || v instanceof List<?>) throw BadInputException.in(config, "key '" + key + "': expected a path, got '" + v + "'");
        return Path.of(v.toString());
    }

    /**
     * Refuses an output directory that overlaps an input or holds a run it would clobber (before any
     * data is read or file written).
     *
     * @param otherInputs further inputs by flag (e.g. {@code --ref-model}); null paths are skipped
     */
    void checkPaths(Map<String, Path> otherInputs) {
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("--model", model);
        inputs.put("--data", data);
        inputs.put("--eval-data", evalData);
        inputs.putAll(otherInputs);
        RunDirectory.checkApart(out, inputs);
        Trainer.checkOutput(out, overwrite, resume);
    }

    /** config.yaml's content: what the run was given, then every resolved setting. */
    <T extends Record> Map<String, Object> resolved(String command, ConfiguredCommand<T> c, T settings) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("command", command);
        all.put("model", model.toString());
        all.put("data", data.toString());
        all.put("eval_data", evalData == null ? null : evalData.toString());
        all.put("device", device.name);
        all.putAll(ConfigBinder.of(c.configType()).toMap(settings));
        return all;
    }

    /**
     * Refuses a model whose tokenizer produces ids its embedding lacks (they would fail mid-run, or
     * read another row of a padded table).
     */
    static void checkTokenizerFits(PolicyModel tokenizerOwner, Path tokenizerDir, PolicyModel model, Path modelDir) {
        int ids = tokenizerOwner.tokenizer().vocabSize();
        int rows = model.config().vocabSize();
        if (ids > rows) {
            throw BadInputException.in(tokenizerDir.resolve(Tokenizer.FILE), "token ids go up to " + (ids - 1) + " but "
                    + modelDir.resolve(ModelDirectory.CONFIG) + " has vocab_size " + rows);
        }
    }

    /** Rows of each data file encoded before training (see {@link #checkFirstRows}). */
    static final int FIRST_ROWS = 16;

    /**
     * Encodes the first rows of a data file with the model's tokenizer and chat template, as the
     * trainers will, so a template that cannot serve the data (it raises, or does not render
     * incrementally) fails now, naming the line, instead of at the step that first meets such a row.
     * Every line's columns were already checked when the file was opened.
     */
    static void checkFirstRows(Dataset data, PolicyModel model, int maxLength) {
        if (data == null) return;
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), maxLength, false);
        for (int i = 0; i < Math.min(FIRST_ROWS, data.size()); i++) {
            Example e = data.get(i);
            try {
                if (e instanceof Example.Preference p) {
                    encoder.promptCompletion(p.prompt(), p.chosen());
                    encoder.promptCompletion(p.prompt(), p.rejected());
                } else if (e instanceof Example.Ranked r) {
                    for (Example.Turns response : r.responses()) encoder.promptCompletion(r.prompt(), response);
                } else {
                    encoder.encode(e);
                }
            } catch (BadInputException ex) {
                throw BadInputException.at(data.file(), data.lineNumber(i), null, ex.getMessage());
            }
        }
    }

    /** Reports lines left out with --skip-bad-lines. */
    void reportSkipped(PrintWriter out, Dataset train) {
        if (!train.skippedLines().isEmpty()) {
            int n = train.skippedLines().size();
            out.printf("skipped %d bad line%s of %s (first: %s)%n", n, n == 1 ? "" : "s", data,
                    train.skippedLines().get(0));
        }
    }
}
