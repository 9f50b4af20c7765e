package dev.align.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.evals.ProbeAccuracy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align eval}: greedy accuracy on verifiable prompts, e.g. the world's held-out probes. */
@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Greedy accuracy on verifiable prompts (sycophancy-eval.jsonl, verifiable.jsonl), per kind and family.",
        subcommands = EvalSycophancyCommand.class)
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    // Required, but checked in call(): picocli would demand them before the subcommand too.
    @Option(names = "--model", description = "A model directory in Hugging Face layout (required).") Path model;
    @Mixin DeviceOption device;
    @Option(names = "--data", description = "JSONL of {\"prompt\", \"answer\", \"verifier\"} rows (required).") Path data;
    @Option(names = "--group-by", split = ",", defaultValue = "kind,family",
            description = "Columns to report accuracy by.") List<String> groupBy;
    @Option(names = "--max-new-tokens", defaultValue = "48") int maxNewTokens;
    @Option(names = "--batch-size", defaultValue = "16") int batchSize;
    @Option(names = "--out", description = "Write each reply and verdict as JSONL here.") Path out;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        List<String> missing = new java.util.ArrayList<>();
        if (model == null) missing.add("'--model=<model>'");
        if (data == null) missing.add("'--data=<data>'");
        if (!missing.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required option"
                    + (missing.size() > 1 ? "s: " : ": ") + String.join(", ", missing));
        }
        try (Dataset d = Dataset.open(data, Format.VERIFIABLE, false); NDManager manager = device.newManager();
                TransformerPolicy m = ModelDirectory.load(model, manager)) {
            long t0 = System.nanoTime();
            ProbeAccuracy.Report report = ProbeAccuracy.evaluate(m, d, groupBy, maxNewTokens, batchSize);
            report.groups().forEach((g, c) -> stdout.printf(Locale.ROOT, "accuracy %-24s %.4f  (%d/%d)%n", g,
                    c[0] / (double) c[1], c[0], c[1]));
            stdout.printf(Locale.ROOT, "%d prompts in %.1f s%n", d.size(), (System.nanoTime() - t0) / 1e9);
            if (out != null) {
                StringBuilder lines = new StringBuilder();
                for (ProbeAccuracy.Answer a : report.answers()) {
                    ObjectNode row = Json.MAPPER.createObjectNode();
                    row.put("line", a.line());
                    a.groups().forEach(row::put);
                    row.put("reply", a.reply());
                    row.put("correct", a.correct());
                    lines.append(Json.compact(row)).append('\n');
                }
                AtomicFiles.writeString(out, lines.toString());
            }
        }
        return 0;
    }
}
