package dev.align.evals.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.evals.ItemResult;
import dev.align.evals.report.ReportDocument.Bullets;
import dev.align.evals.report.ReportDocument.Column;
import dev.align.evals.report.ReportDocument.Details;
import dev.align.evals.report.ReportDocument.Heading;
import dev.align.evals.report.ReportDocument.Image;
import dev.align.evals.report.ReportDocument.Paragraph;
import dev.align.evals.report.ReportDocument.Table;
import dev.align.evals.report.SycophancyReport.AccuracyDrop;
import dev.align.evals.report.SycophancyReport.Breakdown;
import dev.align.evals.report.SycophancyReport.Comparison;
import dev.align.evals.report.SycophancyReport.Disagreement;
import dev.align.evals.report.SycophancyReport.Rate;
import dev.align.evals.report.SycophancyReport.Slice;
import dev.align.core.stats.Interval;
import dev.align.core.stats.PairedBootstrap;
import dev.align.core.stats.Proportion;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/** The report's files: {@code items.jsonl}, {@code summary.json}, the PNG charts, {@code report.md}, {@code report.html}. */
final class ReportFiles {
    static final String ITEMS = "items.jsonl";
    static final String SUMMARY = "summary.json";
    static final String MARKDOWN = "report.md";
    static final String HTML = "report.html";
    static final String CAPITULATION = "capitulation.png";
    static final String CAPITULATION_VS_ACCURACY = "capitulation-vs-accuracy.png";

    private ReportFiles() {}

    /** Each file is written to a temporary sibling and renamed into place. */
    static void write(SycophancyReport report, Path dir) {
        writeItems(dir, report.items());
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.pretty(summary(report)));
        Map<String, byte[]> charts = new LinkedHashMap<>();
        charts.put(CAPITULATION, png(ReportCharts.capitulation(report)));
        charts.put(CAPITULATION_VS_ACCURACY, png(ReportCharts.capitulationVsAccuracy(report)));
        charts.forEach((name, bytes) -> AtomicFiles.write(dir.resolve(name), out -> out.write(bytes)));
        ReportDocument doc = document(report);
        AtomicFiles.writeString(dir.resolve(MARKDOWN), doc.markdown());
        AtomicFiles.writeString(dir.resolve(HTML), doc.html(charts));
    }

    static void writeItems(Path dir, List<ItemResult> items) {
        AtomicFiles.write(dir.resolve(ITEMS), out -> {
            for (ItemResult item : items) {
                out.write((Json.compact(item) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        });
    }

    static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(image, "png", bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- summary.json ------------------------------------------------------------------------------

    static ObjectNode summary(SycophancyReport report) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode settings = root.putObject("settings");
        settings.put("seed", report.settings().seed());
        settings.put("resamples", report.settings().resamples());
        settings.put("level", report.settings().level());
        settings.put("alpha", report.settings().alpha());
        report.models().forEach(root.putArray("models")::add);
        report.datasets().forEach(root.putArray("datasets")::add);
        ArrayNode rates = root.putArray("rates");
        for (Rate r : report.rates()) {
            ObjectNode o = slice(rates.addObject(), r.slice());
            o.put("model", r.model());
            o.put("metric", r.metric());
            proportion(o, r.rate());
        }
        ArrayNode breakdowns = root.putArray("breakdowns");
        for (Breakdown b : report.breakdowns()) {
            ObjectNode o = slice(breakdowns.addObject(), b.slice());
            o.put("model", b.model());
            o.put("metric", b.metric());
            o.put("dimension", b.dimension());
            o.put("value", b.value());
            o.put("held_out", b.heldOut());
            proportion(o, b.rate());
        }
        ArrayNode drops = root.putArray("accuracy_drops");
        for (AccuracyDrop d : report.accuracyDrops()) {
            ObjectNode o = drops.addObject();
            o.put("model", d.model());
            o.put("dataset", d.dataset());
            o.put("suggestion", d.suggestion());
            proportion(o.putObject("accuracy"), d.atSuggestion());
            proportion(o.putObject("neutral_accuracy"), d.neutral());
            difference(o.putObject("change"), d.change());
        }
        ArrayNode effects = root.putArray("pushback_effects");
        for (SycophancyReport.PushbackEffect e : report.pushbackEffects()) {
            ObjectNode o = effects.addObject();
            o.put("model", e.model());
            o.put("dataset", e.dataset());
            o.put("metric", e.metric());
            proportion(o.putObject("after_pushback"), e.pushback());
            proportion(o.putObject("after_neutral_turn"), e.control());
            difference(o.putObject("difference"), e.difference());
            o.put("only_pushback", e.mcnemar().b());
            o.put("only_neutral_turn", e.mcnemar().c());
            number(o, "mcnemar_p", e.mcnemar().p());
        }
        ArrayNode comparisons = root.putArray("comparisons");
        for (Comparison c : report.comparisons()) {
            ObjectNode o = slice(comparisons.addObject(), c.slice());
            o.put("metric", c.metric());
            o.put("a", c.a());
            o.put("b", c.b());
            proportion(o.putObject("rate_a"), c.rateA());
            proportion(o.putObject("rate_b"), c.rateB());
            difference(o.putObject("difference"), c.difference());
            o.put("only_a", c.mcnemar().b());
            o.put("only_b", c.mcnemar().c());
            number(o, "mcnemar_p", c.mcnemar().p());
            number(o, "holm_p", c.holmP());
            o.put("significant", c.significant());
        }
        ObjectNode agreement = root.putObject("rule_classifier_agreement");
        proportion(agreement.putObject("overall"), report.agreement().overall());
        ObjectNode byModel = agreement.putObject("by_model");
        report.agreement().byModel().forEach((m, p) -> proportion(byModel.putObject(m), p));
        agreement.put("disagreements", report.agreement().disagreements().size());
        return root;
    }

    private static ObjectNode slice(ObjectNode o, Slice s) {
        o.put("dataset", s.dataset());
        o.put("kind", s.kind());
        o.put("condition", s.condition());
        return o;
    }

    private static void proportion(ObjectNode o, Proportion p) {
        o.put("successes", p.successes());
        o.put("n", p.n());
        number(o, "rate", p.rate());
        interval(o, p.interval());
    }

    private static void difference(ObjectNode o, PairedBootstrap.Difference d) {
        number(o, "estimate", d.estimate());
        interval(o, d.interval());
        o.put("n", d.n());
    }

    private static void interval(ObjectNode o, Interval i) {
        number(o, "lower", i.lower());
        number(o, "upper", i.upper());
    }

    /** NaN (nothing to estimate from) is written as null: JSON has no NaN. */
    private static void number(ObjectNode o, String name, double x) {
        if (Double.isNaN(x)) o.putNull(name);
        else o.put(name, x);
    }

    // ---- report.md and report.html -----------------------------------------------------------------

    static ReportDocument document(SycophancyReport report) {
        ReportDocument doc = new ReportDocument("Sycophancy report");
        String level = SycophancyReport.formatLevel(report.settings().level());
        doc.add(new Paragraph("Models: " + codes(report.models()) + ". Data sets: " + codes(report.datasets()) + ". "
                + report.items().size() + " scored items. Intervals are " + level + "%; bootstrap: "
                + report.settings().resamples() + " resamples, seed " + report.settings().seed() + "; Holm at α = "
                + report.settings().alpha() + "."));
        headline(report, doc);
        doc.add(new Heading(2, "Charts", "charts"));
        doc.add(new Image(CAPITULATION, "capitulation rate per model and protocol, with " + level + "% Wilson intervals"));
        doc.add(new Image(CAPITULATION_VS_ACCURACY, "capitulation rate against accuracy without pushback, one point per model"));
        howToRead(report, doc);
        rates(report, doc);
        drops(report, doc);
        pushbackEffects(report, doc);
        comparisons(report, doc);
        agreement(report, doc);
        breakdowns(report, doc);
        return doc;
    }

    /** The capitulation rate under the paper's protocol, per data set and model, in one sentence each. */
    private static void headline(SycophancyReport report, ReportDocument doc) {
        List<String> lines = new ArrayList<>();
        for (String dataset : report.datasets()) {
            Slice own = new Slice(dataset, "are_you_sure", "protocol=own");
            List<String> parts = new ArrayList<>();
            for (String model : report.models()) {
                report.rate(model, own, "capitulated").ifPresent(p -> parts.add("`" + model + "` " + p.format()));
            }
            if (!parts.isEmpty()) lines.add("`" + dataset + "`: " + String.join(", ", parts));
        }
        if (lines.isEmpty()) return;
        doc.add(new Paragraph("Capitulation rate under the paper's protocol (`are_you_sure · protocol=own`; lower is better):"));
        doc.add(new Bullets(lines));
    }

    private static void howToRead(SycophancyReport report, ReportDocument doc) {
        doc.add(new Heading(2, "How to read this", "how-to-read"));
        doc.add(new Paragraph("Every rate is written `rate [lower, upper] (n=items)`: the share of the n items where the "
                + "outcome holds, with its Wilson score interval. A rate is taken over the items of one data set, one "
                + "kind and one condition; an outcome that does not apply to an item (e.g. `capitulated` when the "
                + "first answer was wrong) leaves the item out of n."));
        List<String> kinds = report.slices().stream().map(Slice::kind).distinct().toList();
        List<String> kindLines = new ArrayList<>();
        for (String k : kinds) kindLines.add("`" + k + "`: " + Vocabulary.KIND_MEANINGS.getOrDefault(k, "items of kind " + k));
        doc.add(new Paragraph("Kinds of item:"));
        doc.add(new Bullets(kindLines));
        List<String> metrics = report.rates().stream().map(Rate::metric).distinct()
                .sorted(Vocabulary.order(Vocabulary.METRICS)).toList();
        List<String> metricLines = new ArrayList<>();
        for (String m : metrics) metricLines.add("`" + m + "`: " + Vocabulary.meaning(m));
        doc.add(new Paragraph("Metrics (lower `capitulated`, `apologised` and `agrees_with_suggestion` are better):"));
        doc.add(new Bullets(metricLines));
        doc.add(new Paragraph("The paper's protocol (Sharma et al., 2023) is `are_you_sure · protocol=own`: the model's "
                + "own first answer is challenged only when it was correct. `protocol=scripted` gives the correct answer "
                + "as the first turn, so every item is challenged. Paired comparisons put two models on the same items: "
                + "the difference of their rates with a paired bootstrap interval, the exact McNemar p on the items where "
                + "only one of them has the outcome, and Holm's adjustment across all pairs of models for that metric "
                + "(* marks Holm p ≤ α). Templates marked (held out) were not used in training."));
    }

    private static void rates(SycophancyReport report, ReportDocument doc) {
        doc.add(new Heading(2, "Rates", "rates"));
        for (String dataset : report.datasets()) {
            doc.add(new Heading(3, "Data set `" + dataset + "`", null));
            List<String> header = new ArrayList<>(List.of("kind · condition", "metric"));
            header.addAll(report.models());
            List<List<String>> rows = new ArrayList<>();
            for (Slice slice : report.slices()) {
                if (!slice.dataset().equals(dataset)) continue;
                for (String metric : report.metrics(slice)) {
                    List<String> row = new ArrayList<>(List.of(slice.label(), "`" + metric + "`"));
                    for (String model : report.models()) {
                        row.add(report.rate(model, slice, metric).map(Proportion::format).orElse(""));
                    }
                    rows.add(row);
                }
            }
            doc.add(new Table(header, rows, numeric(2, report.models().size())));
        }
    }

    private static void drops(SycophancyReport report, ReportDocument doc) {
        if (report.accuracyDrops().isEmpty()) return;
        doc.add(new Heading(2, "Accuracy under suggestions (`answer`)", "accuracy-drop"));
        doc.add(new Paragraph("Accuracy with the user's suggestion minus accuracy with none (the neutral template), per "
                + "model; the change is paired by question (per-question accuracy, bootstrap over questions). A negative "
                + "change at `suggestion=incorrect` is the model following the user's wrong suggestion."));
        List<List<String>> rows = new ArrayList<>();
        for (AccuracyDrop d : report.accuracyDrops()) {
            rows.add(List.of(d.dataset(), d.model(), d.suggestion(), d.atSuggestion().format(), d.neutral().format(),
                    SycophancyReport.formatDifference(d.change())));
        }
        doc.add(new Table(List.of("data set", "model", "suggestion", "accuracy", "accuracy at none",
                "change (n questions)"), rows, numeric(3, 3)));
    }

    private static void pushbackEffects(SycophancyReport report, ReportDocument doc) {
        if (report.pushbackEffects().isEmpty()) return;
        doc.add(new Heading(2, "Pushback against a neutral turn (`are_you_sure`, scripted − control)", "pushback-effect"));
        doc.add(new Paragraph("Each model on the same items twice: after the correct first answer, the user pushes back "
                + "(`protocol=scripted`) or asks neutrally to restate the answer (`protocol=control`). Paired by item: the "
                + "difference is what pushback adds to the model's ordinary errors and stance when it answers a second time; "
                + "discordant = items where only the pushback / only the neutral turn has the outcome."));
        List<List<String>> rows = new ArrayList<>();
        for (SycophancyReport.PushbackEffect e : report.pushbackEffects()) {
            rows.add(List.of(e.dataset(), e.model(), e.metric(), e.pushback().format(), e.control().format(),
                    SycophancyReport.formatDifference(e.difference()), e.mcnemar().b() + "/" + e.mcnemar().c(),
                    SycophancyReport.formatP(e.mcnemar().p())));
        }
        doc.add(new Table(List.of("data set", "model", "metric", "after pushback", "after a neutral turn", "difference (n)",
                "discordant", "McNemar p"), rows, numeric(3, 5)));
    }

    private static void comparisons(SycophancyReport report, ReportDocument doc) {
        if (report.comparisons().isEmpty()) return;
        doc.add(new Heading(2, "Paired comparisons", "comparisons"));
        doc.add(new Paragraph("Model A against model B on the items both were scored on for the metric. Rates and "
                + "difference = rate(A) − rate(B) are on those shared items (n); discordant = items where only A / "
                + "only B has the outcome. * marks Holm p ≤ " + report.settings().alpha() + "."));
        for (String dataset : report.datasets()) {
            List<List<String>> headline = new ArrayList<>();
            List<List<String>> others = new ArrayList<>();
            for (Comparison c : report.comparisons()) {
                if (!c.slice().dataset().equals(dataset)) continue;
                List<String> row = List.of(c.slice().label(), "`" + c.metric() + "`", c.a() + " − " + c.b(),
                        Proportion.decimal(c.rateA().rate()) + " · " + Proportion.decimal(c.rateB().rate()),
                        SycophancyReport.formatDifference(c.difference()), c.mcnemar().b() + " / " + c.mcnemar().c(),
                        SycophancyReport.formatP(c.mcnemar().p()),
                        SycophancyReport.formatP(c.holmP()) + (c.significant() ? " *" : ""));
                (SycophancyReport.isHeadline(c.slice(), c.metric()) ? headline : others).add(row);
            }
            if (headline.isEmpty() && others.isEmpty()) continue;
            List<String> header = List.of("kind · condition", "metric", "A − B", "rate A · B", "difference",
                    "discordant", "McNemar p", "Holm p");
            doc.add(new Heading(3, "Data set `" + dataset + "`", null));
            if (!headline.isEmpty()) doc.add(new Table(header, headline, numeric(3, 5)));
            if (!others.isEmpty()) {
                doc.add(new Details("Other metrics (" + others.size() + " comparisons)",
                        List.of(new Table(header, others, numeric(3, 5))), false));
            }
        }
    }

    private static void agreement(SycophancyReport report, ReportDocument doc) {
        SycophancyReport.VerdictAgreement a = report.agreement();
        if (a.overall().n() == 0) return;
        doc.add(new Heading(2, "Rules against the reply classifier", "agreement"));
        doc.add(new Paragraph("Replies read by both the rules (answer extraction, apology and hedge markers) and the "
                + "classifier (kept / capitulated / hedged). Agreement: " + a.overall().format() + ". The two readings "
                + "are not independent: one of the classifier's features is whether the committed answer, read by the same "
                + "answer extraction, is the correct one; its words and markers decide the rest. High agreement therefore "
                + "bounds what the classifier adds from above; the disagreements are where to look."));
        List<List<String>> rows = new ArrayList<>();
        a.byModel().forEach((m, p) -> rows.add(List.of(m, p.format())));
        doc.add(new Table(List.of("model", "agreement"), rows, numeric(1, 1)));
        if (a.disagreements().isEmpty()) return;
        List<List<String>> audit = new ArrayList<>();
        for (Disagreement d : a.disagreements()) {
            audit.add(List.of(d.model(), d.dataset() + " / " + d.id(), d.ruleVerdict(), d.classifierVerdict(),
                    orEmpty(d.prompt()).strip(), orEmpty(d.reply()).strip()));
        }
        doc.add(new Details(a.disagreements().size() + " disagreements to audit", List.of(new Table(
                List.of("model", "item", "rules", "classifier", "prompt", "reply"), audit,
                new Column[] {Column.TEXT, Column.TEXT, Column.TEXT, Column.TEXT, Column.PREFORMATTED,
                        Column.PREFORMATTED})), a.disagreements().size() <= 10));
    }

    private static void breakdowns(SycophancyReport report, ReportDocument doc) {
        if (report.breakdowns().isEmpty()) return;
        doc.add(new Heading(2, "Breakdowns", "breakdowns"));
        doc.add(new Paragraph("Each rate again by template (held-out templates marked), fact family, split "
                + "(train or eval facts) and split × template (the world asks eval facts only in held-out wordings; train "
                + "facts in held-out wordings tell new facts from new wordings). The paper protocol's capitulation is open; open any other section to see it."));
        for (Slice slice : report.slices()) {
            for (String metric : report.metrics(slice)) {
                List<List<String>> rows = new ArrayList<>();
                for (String dimension : Vocabulary.BREAKDOWNS) {
                    // value → model → rate, values in numeric order where they are numbers (templates), across models
                    Map<String, Map<String, Proportion>> byValue = new TreeMap<>(ReportFiles::compareValues);
                    Map<String, Boolean> heldOut = new LinkedHashMap<>();
                    for (Breakdown b : report.breakdowns()) {
                        if (!b.slice().equals(slice) || !b.metric().equals(metric) || !b.dimension().equals(dimension)) continue;
                        byValue.computeIfAbsent(b.value(), v -> new LinkedHashMap<>()).put(b.model(), b.rate());
                        heldOut.merge(b.value(), b.heldOut(), Boolean::logicalOr);
                    }
                    byValue.forEach((value, perModel) -> {
                        List<String> row = new ArrayList<>(List.of(dimension,
                                value + (heldOut.get(value) ? " (held out)" : "")));
                        for (String model : report.models()) {
                            Proportion p = perModel.get(model);
                            row.add(p == null ? "" : p.format());
                        }
                        rows.add(row);
                    });
                }
                if (rows.isEmpty()) continue;
                List<String> header = new ArrayList<>(List.of("by", "value"));
                header.addAll(report.models());
                doc.add(new Details(slice.dataset() + " · " + slice.label() + " · `" + metric + "`",
                        List.of(new Table(header, rows, numeric(2, report.models().size()))),
                        slice.condition().equals(Vocabulary.PAPER_PROTOCOL) && metric.equals("capitulated")));
            }
        }
    }

    static int compareValues(String a, String b) {
        boolean na = a.matches("-?\\d+"), nb = b.matches("-?\\d+");
        if (na && nb) return Long.compare(Long.parseLong(a), Long.parseLong(b));
        if (na != nb) return na ? -1 : 1;
        return a.compareTo(b);
    }

    private static Column[] numeric(int textColumns, int numberColumns) {
        Column[] out = new Column[textColumns + numberColumns];
        for (int i = 0; i < out.length; i++) out[i] = i < textColumns ? Column.TEXT : Column.NUMBER;
        return out;
    }

    private static String codes(List<String> names) {
        return String.join(", ", names.stream().map(n -> "`" + n + "`").toList());
    }

    private static String orEmpty(String text) {
        return text == null ? "" : text;
    }
}
