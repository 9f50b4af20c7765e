package dev.align.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.Format;
import dev.align.datasets.ResponseScorer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code align reward}: scores responses with a reward model. Preference and ranked files also get
 * their pairwise accuracy (the better response scoring higher), overall and per value of a column.
 */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = "Score responses with a reward model: a JSONL file (preference, ranked or prompt/completion rows) "
                + "or one --prompt/--response pair.")
final class RewardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "Reward model directory (from 'align rm').") Path model;
    @Mixin DeviceOption device;
    @Option(names = "--data", description = "JSONL of preference, ranked or prompt/completion rows.") Path data;
    @Option(names = "--prompt", description = "A user prompt to score with --response.") String prompt;
    @Option(names = "--response", description = "The assistant response to score.") String response;
    @Option(names = "--out", description = "Write one JSON line of scores per row here instead of standard output.")
    Path out;
    @Option(names = "--group-by", description = "Also report accuracy per value of this column (e.g. kind).") String groupBy;
    @Option(names = "--batch-size", defaultValue = "16") int batchSize;
    @Option(names = "--max-length", defaultValue = "1024") int maxLength;
    @Option(names = "--skip-bad-lines", description = "Skip and count malformed lines.") boolean skipBadLines;

    @Override
    public Integer call() {
        if ((data == null) == (prompt == null || response == null)) {
            throw new IllegalArgumentException("give either --data FILE or both --prompt and --response");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        try (NDManager manager = device.newManager(); TransformerPolicy rm = ModelDirectory.load(model, manager)) {
            ResponseScorer scorer = new ResponseScorer(rm, maxLength, batchSize);
            if (data == null) {
                float score = scorer.score(List.of(Example.Turns.of(prompt)), List.of(Example.Turns.of(response)))[0];
                stdout.printf(Locale.ROOT, "%.6f%n", score);
                return 0;
            }
            Format format = Format.of(data, Format.PREFERENCE, Format.RANKED, Format.SFT);
            try (Dataset d = Dataset.open(data, format, skipBadLines)) {
                score(d, scorer, stdout);
            }
        }
        return 0;
    }

    private void score(Dataset d, ResponseScorer scorer, PrintWriter stdout) {
        List<Example.Turns> prompts = new ArrayList<>(), responses = new ArrayList<>();
        int[] firstResponse = new int[d.size() + 1];
        List<double[]> labels = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            firstResponse[i] = responses.size();
            Example e = d.get(i);
            if (e instanceof Example.Preference p) {
                add(prompts, responses, p.prompt(), List.of(p.chosen(), p.rejected()));
                labels.add(new double[] {1, 0});
            } else if (e instanceof Example.Ranked r) {
                add(prompts, responses, r.prompt(), r.responses());
                labels.add(r.scores());
            } else if (e instanceof Example.PromptCompletion pc) {
                add(prompts, responses, pc.prompt(), List.of(pc.completion()));
                labels.add(null);
            } else {
                throw BadInputException.at(d.file(), d.lineNumber(i), null,
                        "scoring needs prompt/completion, preference or ranked rows");
            }
        }
        firstResponse[d.size()] = responses.size();
        float[] scores = scorer.score(prompts, responses);
        StringBuilder lines = new StringBuilder();
        Map<String, long[]> groups = new TreeMap<>(); // group → (correct pairs, pairs)
        for (int i = 0; i < d.size(); i++) {
            ObjectNode row = Json.MAPPER.createObjectNode();
            row.put("line", d.lineNumber(i));
            int from = firstResponse[i], to = firstResponse[i + 1];
            double[] l = labels.get(i);
            if (l == null) {
                row.put("reward", scores[from]);
            } else if (d.get(i) instanceof Example.Preference) {
                row.put("chosen_reward", scores[from]);
                row.put("rejected_reward", scores[from + 1]);
            } else {
                ArrayNode a = row.putArray("rewards");
                for (int j = from; j < to; j++) a.add(scores[j]);
            }
            if (l != null) {
                String group = groupBy == null ? null : column(d, i);
                for (int a = 0; a < l.length; a++) {
                    for (int b = 0; b < l.length; b++) {
                        if (l[a] <= l[b]) continue;
                        boolean right = scores[from + a] > scores[from + b];
                        count(groups, "all", right);
                        if (group != null) count(groups, groupBy + "=" + group, right);
                    }
                }
            }
            lines.append(Json.compact(row)).append('\n');
        }
        if (out != null) {
            AtomicFiles.writeString(out, lines.toString());
        } else {
            stdout.print(lines);
        }
        PrintWriter report = out != null ? stdout : spec.commandLine().getErr();
        report.printf(Locale.ROOT, "scored %d responses of %d rows%s%n", scores.length, d.size(),
                out == null ? "" : " into " + out);
        groups.forEach((g, c) -> report.printf(Locale.ROOT, "pairwise accuracy (%s): %.4f of %d pairs%n", g,
                c[0] / (double) c[1], c[1]));
    }

    private String column(Dataset d, int i) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(d.line(i)).get(groupBy);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        if (node == null) throw BadInputException.at(d.file(), d.lineNumber(i), groupBy, "missing (needed by --group-by)");
        return node.isValueNode() ? node.asText() : node.toString();
    }

    private static void count(Map<String, long[]> groups, String key, boolean right) {
        long[] c = groups.computeIfAbsent(key, k -> new long[2]);
        c[0] += right ? 1 : 0;
        c[1]++;
    }

    private static void add(List<Example.Turns> prompts, List<Example.Turns> responses, Example.Turns prompt,
            List<Example.Turns> rs) {
        for (Example.Turns r : rs) {
            prompts.add(prompt);
            responses.add(r);
        }
    }
}
