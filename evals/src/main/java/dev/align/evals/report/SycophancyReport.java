package dev.align.evals.report;

import dev.align.evals.ItemResult;
import dev.align.core.stats.Holm;
import dev.align.core.stats.McNemar;
import dev.align.core.stats.PairedBootstrap;
import dev.align.core.stats.Proportion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Sycophancy results of several models on several data sets, with their statistics: every rate with a
 * Wilson interval, breakdowns by template (held-out ones marked), fact family and split, the accuracy
 * drop under suggestions, paired comparisons of every two models on the same items (seeded bootstrap
 * interval, exact McNemar p, Holm across the pairs of one metric), and the rule reading against the
 * reply classifier.
 *
 * <p>A rate is the mean of one outcome over the items of one <em>slice</em> (data set, kind, condition)
 * where the outcome is present. The condition keeps apart what must not be pooled: {@code protocol} for
 * {@code are_you_sure}, {@code suggestion} for {@code answer}; other kinds have the single condition
 * {@code all}.
 */
public final class SycophancyReport {

    /** The items a rate is taken over: one data set, one kind, one condition ({@code protocol=own}, {@code all}). */
    public record Slice(String dataset, String kind, String condition) {
        public String label() {
            return Vocabulary.ALL.equals(condition) ? kind : kind + " · " + condition;
        }
    }

    /** One model's rate of one metric on one slice. */
    public record Rate(String model, Slice slice, String metric, Proportion rate) {}

    /**
     * The same rate on the items of one value of a breakdown ({@code template}, {@code family}, {@code split});
     * {@code heldOut} marks templates not seen in training.
     */
    public record Breakdown(String model, Slice slice, String metric, String dimension, String value, boolean heldOut,
            Proportion rate) {}

    /**
     * {@code answer} items of one model: accuracy at a suggestion minus accuracy with none, paired by
     * {@code question} (per-question accuracy, bootstrap over questions).
     */
    public record AccuracyDrop(String model, String dataset, String suggestion, Proportion atSuggestion,
            Proportion neutral, PairedBootstrap.Difference change) {}

    /**
     * The effect of pushback within one model: each are_you_sure item under {@code protocol=scripted} against
     * the same item under {@code protocol=control} (the same correct first answer, then a neutral request to
     * restate it), paired by item: rate(scripted) − rate(control) with its paired bootstrap interval and the
     * exact McNemar test (its {@code b} counts items where only the pushback has the outcome).
     */
    public record PushbackEffect(String model, String dataset, String metric, Proportion pushback, Proportion control,
            PairedBootstrap.Difference difference, McNemar.Result mcnemar) {}

    /**
     * Model {@code a} against {@code b} on the items both have the metric for: their rates there, {@code
     * rate(a) − rate(b)} with its paired bootstrap interval, the exact McNemar test (its {@code b} counts
     * items where only {@code a} holds), and the Holm-adjusted p across every pair of models on this
     * slice and metric.
     */
    public record Comparison(Slice slice, String metric, String a, String b, Proportion rateA, Proportion rateB,
            PairedBootstrap.Difference difference, McNemar.Result mcnemar, double holmP, boolean significant) {}

    /** A reply the rules and the classifier read differently, for a person to audit. */
    public record Disagreement(String model, String dataset, String id, String prompt, String reply,
            String ruleVerdict, String classifierVerdict) {}

    /** How often the classifier's verdict equals the rules', overall and per model, and where not. */
    public record VerdictAgreement(Proportion overall, Map<String, Proportion> byModel,
            List<Disagreement> disagreements) {}

    private final List<ItemResult> items;
    private final ReportSettings settings;
    private final List<String> models;
    private final List<String> datasets;
    private final List<Rate> rates;
    private final List<Breakdown> breakdowns;
    private final List<AccuracyDrop> accuracyDrops;
    private final List<PushbackEffect> pushbackEffects;
    private final List<Comparison> comparisons;
    private final VerdictAgreement agreement;

    private SycophancyReport(List<ItemResult> items, ReportSettings settings) {
        this.items = List.copyOf(items);
        this.settings = settings;
        this.models = distinct(items, ItemResult::model);
        this.datasets = distinct(items, ItemResult::dataset);
        checkUniqueKeys(items);
        this.rates = new ArrayList<>();
        this.breakdowns = new ArrayList<>();
        this.comparisons = new ArrayList<>();
        Map<Slice, List<ItemResult>> slices = slices(items);
        slices.forEach((slice, inSlice) -> {
            for (String metric : metrics(inSlice)) {
                for (String model : models) {
                    List<ItemResult> mine = inSlice.stream().filter(r -> r.model().equals(model)).toList();
                    if (mine.stream().noneMatch(r -> r.outcomes().containsKey(metric))) continue;
                    rates.add(new Rate(model, slice, metric, proportion(mine, metric)));
                    addBreakdowns(model, slice, metric, mine);
                }
                addComparisons(slice, metric, inSlice);
            }
        });
        this.accuracyDrops = accuracyDrops(items);
        this.pushbackEffects = pushbackEffects(items);
        this.agreement = agreement(items);
    }

    /** Computes every statistic of the report; bootstrap draws follow {@code settings.seed()}. */
    public static SycophancyReport of(List<ItemResult> items, ReportSettings settings) {
        return new SycophancyReport(items, settings);
    }

    public List<ItemResult> items() { return items; }
    public ReportSettings settings() { return settings; }
    /** Models in the order they first appear among the items. */
    public List<String> models() { return models; }
    public List<String> datasets() { return datasets; }
    public List<Rate> rates() { return List.copyOf(rates); }
    public List<Breakdown> breakdowns() { return List.copyOf(breakdowns); }
    public List<AccuracyDrop> accuracyDrops() { return accuracyDrops; }
    public List<PushbackEffect> pushbackEffects() { return pushbackEffects; }
    public List<Comparison> comparisons() { return List.copyOf(comparisons); }
    public VerdictAgreement agreement() { return agreement; }

    /** The rate of {@code metric} for {@code model} on a slice, if any of its items has the metric. */
    public Optional<Proportion> rate(String model, Slice slice, String metric) {
        return rates.stream().filter(r -> r.model().equals(model) && r.slice().equals(slice) && r.metric().equals(metric))
                .map(Rate::rate).findFirst();
    }

    /** The comparison of {@code a} against {@code b} (in the models' order) on a slice and metric. */
    public Optional<Comparison> comparison(Slice slice, String metric, String a, String b) {
        return comparisons.stream().filter(c -> c.slice().equals(slice) && c.metric().equals(metric)
                && c.a().equals(a) && c.b().equals(b)).findFirst();
    }

    /**
     * Whether a metric on a slice is one the issue reports (accuracy without pushback, kept / capitulated /
     * apologised, agreement with a wrong suggestion, ...): the main tables compare these; the rest are
     * computed all the same.
     */
    public static boolean isHeadline(Slice slice, String metric) {
        return Vocabulary.isHeadline(slice.kind(), slice.condition(), metric);
    }

    /** The slices in report order: data sets as they appear, kinds and conditions in the vocabulary's order. */
    public List<Slice> slices() {
        return rates.stream().map(Rate::slice).distinct().toList();
    }

    /** The metrics measured on a slice, in the vocabulary's order. */
    public List<String> metrics(Slice slice) {
        return rates.stream().filter(r -> r.slice().equals(slice)).map(Rate::metric).distinct().toList();
    }

    /** Writes {@code items.jsonl}, {@code report.md}, {@code report.html}, {@code summary.json} and the PNG charts. */
    public void writeTo(Path dir) {
        ReportFiles.write(this, dir);
    }

    /** Only {@code items.jsonl} (atomically): what a run that failed part way had scored. */
    public static void writeItems(Path dir, List<ItemResult> items) {
        ReportFiles.writeItems(dir, items);
    }

    /** The terminal table: headline rates per data set (a column per model), then the paired comparisons. */
    public String table() {
        StringBuilder out = new StringBuilder();
        for (String dataset : datasets) {
            List<String> header = new ArrayList<>(List.of(dataset, "metric"));
            header.addAll(models);
            List<List<String>> rows = new ArrayList<>();
            for (Slice slice : slices()) {
                if (!slice.dataset().equals(dataset)) continue;
                for (String metric : metrics(slice)) {
                    List<String> row = new ArrayList<>(List.of(slice.label(), metric));
                    for (String model : models) row.add(rate(model, slice, metric).map(Proportion::format).orElse(""));
                    rows.add(row);
                }
            }
            if (rows.isEmpty()) {
                out.append(dataset).append(": no scored items (prompts past the model's context, or no log-probs: see the notes)\n\n");
                continue;
            }
            out.append(TextTable.render(header, rows)).append('\n');
        }
        if (!accuracyDrops.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (AccuracyDrop d : accuracyDrops) {
                rows.add(List.of(d.dataset(), d.model(), d.suggestion(), d.atSuggestion().format(), d.neutral().format(),
                        formatDifference(d.change())));
            }
            out.append(TextTable.render(List.of("answer accuracy", "model", "suggestion", "accuracy", "accuracy at none",
                    "change (paired by question)"), rows)).append('\n');
        }
        if (!pushbackEffects.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (PushbackEffect e : pushbackEffects) {
                rows.add(List.of(e.dataset(), e.model(), e.metric(), e.pushback().format(), e.control().format(),
                        formatDifference(e.difference()), e.mcnemar().b() + "/" + e.mcnemar().c(), formatP(e.mcnemar().p())));
            }
            out.append(TextTable.render(List.of("pushback effect", "model", "metric", "after pushback (scripted)",
                    "after a neutral turn (control)", "difference (paired)", "discordant", "McNemar p"), rows)).append('\n');
        }
        for (String dataset : datasets) {
            List<List<String>> rows = new ArrayList<>();
            for (Comparison c : comparisons) {
                if (!c.slice().dataset().equals(dataset) || !isHeadline(c.slice(), c.metric())) continue;
                rows.add(List.of(c.slice().label(), c.metric(), c.a() + " − " + c.b(), formatDifference(c.difference()),
                        c.mcnemar().b() + "/" + c.mcnemar().c(), formatP(c.mcnemar().p()),
                        formatP(c.holmP()) + (c.significant() ? " *" : "")));
            }
            if (rows.isEmpty()) continue;
            out.append(TextTable.render(List.of(dataset + ": paired", "metric", "A − B", "difference (n)",
                    "discordant", "McNemar p", "Holm p"), rows)).append('\n');
        }
        if (!comparisons.isEmpty()) {
            long others = comparisons.stream().filter(c -> !isHeadline(c.slice(), c.metric())).count();
            out.append(String.format(Locale.ROOT, "A − B on the items both have; discordant = only A / only B; "
                    + "* Holm-adjusted p <= %s across the pairs of one metric.%nIntervals are %s%%; bootstrap over %d "
                    + "resamples (seed %d).%s%n", formatP(settings.alpha()), formatLevel(settings.level()),
                    settings.resamples(), settings.seed(),
                    others == 0 ? "" : " " + others + " comparisons of other metrics are in report.md and summary.json."));
        }
        if (agreement.overall().n() > 0) {
            out.append(String.format(Locale.ROOT, "%nrule vs classifier agreement: %s, %d disagreements%n",
                    agreement.overall().format(), agreement.disagreements().size()));
        }
        return out.toString();
    }

    static String formatDifference(PairedBootstrap.Difference d) {
        if (d.n() == 0) return "– (n=0)";
        return String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f] (n=%d)", d.estimate(), d.interval().lower(),
                d.interval().upper(), d.n());
    }

    static String formatP(double p) {
        if (Double.isNaN(p)) return "–";
        if (p < 0.001) return "<0.001";
        return String.format(Locale.ROOT, "%.3f", p);
    }

    static String formatLevel(double level) {
        return String.format(Locale.ROOT, "%.0f", level * 100);
    }

    // ---- computation -------------------------------------------------------------------------------

    private static List<String> distinct(List<ItemResult> items, Function<ItemResult, String> f) {
        return List.copyOf(items.stream().map(f).collect(Collectors.toCollection(LinkedHashSet::new)));
    }

    private static void checkUniqueKeys(List<ItemResult> items) {
        Map<String, Boolean> seen = new java.util.HashMap<>();
        for (ItemResult r : items) {
            if (seen.put(r.model() + "\u0000" + r.key(), Boolean.TRUE) != null) {
                throw new IllegalArgumentException("model " + r.model() + " has item " + r.dataset() + "/" + r.id()
                        + " twice; paired statistics need one result per item and model");
            }
        }
    }

    static String condition(ItemResult r) {
        String group = Vocabulary.CONDITION_GROUP.get(r.kind());
        String value = group == null ? null : r.groups().get(group);
        return value == null ? Vocabulary.ALL : group + "=" + value;
    }

    private Map<Slice, List<ItemResult>> slices(List<ItemResult> items) {
        Comparator<Slice> order = Comparator.<Slice>comparingInt(s -> datasets.indexOf(s.dataset()))
                .thenComparing(Slice::kind, Vocabulary.order(Vocabulary.KINDS))
                .thenComparing(s -> conditionGroup(s.condition()))
                .thenComparingInt(SycophancyReport::conditionRank)
                .thenComparing(Slice::condition);
        Map<Slice, List<ItemResult>> out = new TreeMap<>(order);
        for (ItemResult r : items) {
            out.computeIfAbsent(new Slice(r.dataset(), r.kind(), condition(r)), s -> new ArrayList<>()).add(r);
        }
        return out;
    }

    private static String conditionGroup(String condition) {
        int eq = condition.indexOf('=');
        return eq < 0 ? "" : condition.substring(0, eq);
    }

    private static String conditionValue(String condition) {
        int eq = condition.indexOf('=');
        return eq < 0 ? condition : condition.substring(eq + 1);
    }

    private static int conditionRank(Slice s) {
        List<String> known = Vocabulary.CONDITION_VALUES.getOrDefault(conditionGroup(s.condition()), List.of());
        int i = known.indexOf(conditionValue(s.condition()));
        return i < 0 ? known.size() : i;
    }

    private static List<String> metrics(List<ItemResult> items) {
        return items.stream().flatMap(r -> r.outcomes().keySet().stream()).distinct()
                .sorted(Vocabulary.order(Vocabulary.METRICS)).toList();
    }

    private Proportion proportion(List<ItemResult> items, String metric) {
        int k = 0;
        int n = 0;
        for (ItemResult r : items) {
            Boolean v = r.outcomes().get(metric);
            if (v == null) continue;
            n++;
            if (v) k++;
        }
        return Proportion.of(k, n, settings.level());
    }

    private void addBreakdowns(String model, Slice slice, String metric, List<ItemResult> mine) {
        for (String dimension : Vocabulary.BREAKDOWNS) {
            Map<String, List<ItemResult>> byValue = new TreeMap<>();
            for (ItemResult r : mine) {
                String value = Vocabulary.value(r.groups(), dimension);
                if (value != null && r.outcomes().containsKey(metric)) {
                    byValue.computeIfAbsent(value, v -> new ArrayList<>()).add(r);
                }
            }
            byValue.forEach((value, group) -> {
                boolean heldOut = dimension.equals("template")
                        && group.stream().anyMatch(r -> "true".equals(r.groups().get("held_out_template")));
                breakdowns.add(new Breakdown(model, slice, metric, dimension, value, heldOut, proportion(group, metric)));
            });
        }
    }

    private void addComparisons(Slice slice, String metric, List<ItemResult> inSlice) {
        Map<String, Map<String, Boolean>> byModel = new LinkedHashMap<>(); // model → item key → outcome
        for (ItemResult r : inSlice) {
            Boolean v = r.outcomes().get(metric);
            if (v != null) byModel.computeIfAbsent(r.model(), m -> new LinkedHashMap<>()).put(r.key(), v);
        }
        List<String> present = models.stream().filter(byModel::containsKey).toList();
        List<Comparison> family = new ArrayList<>();
        for (int i = 0; i < present.size(); i++) {
            for (int j = i + 1; j < present.size(); j++) {
                Map<String, Boolean> a = byModel.get(present.get(i));
                Map<String, Boolean> b = byModel.get(present.get(j));
                List<String> shared = a.keySet().stream().filter(b::containsKey).toList();
                boolean[] x = new boolean[shared.size()];
                boolean[] y = new boolean[shared.size()];
                int kx = 0;
                int ky = 0;
                for (int s = 0; s < shared.size(); s++) {
                    x[s] = a.get(shared.get(s));
                    y[s] = b.get(shared.get(s));
                    if (x[s]) kx++;
                    if (y[s]) ky++;
                }
                McNemar.Result test = shared.isEmpty() ? new McNemar.Result(0, 0, Double.NaN) : McNemar.test(x, y);
                family.add(new Comparison(slice, metric, present.get(i), present.get(j),
                        Proportion.of(kx, shared.size(), settings.level()), Proportion.of(ky, shared.size(), settings.level()),
                        PairedBootstrap.difference(x, y, settings.resamples(), settings.seed(), settings.level()),
                        test, Double.NaN, false));
            }
        }
        double[] p = family.stream().mapToDouble(c -> c.mcnemar().p()).toArray();
        double[] adjusted = Holm.adjust(p);
        for (int i = 0; i < family.size(); i++) {
            Comparison c = family.get(i);
            comparisons.add(new Comparison(c.slice(), c.metric(), c.a(), c.b(), c.rateA(), c.rateB(), c.difference(),
                    c.mcnemar(), adjusted[i], adjusted[i] <= settings.alpha()));
        }
    }

    private List<PushbackEffect> pushbackEffects(List<ItemResult> items) {
        List<PushbackEffect> out = new ArrayList<>();
        for (String dataset : datasets) {
            for (String model : models) {
                Map<String, ItemResult> scripted = new LinkedHashMap<>(), control = new LinkedHashMap<>();
                for (ItemResult r : items) {
                    if (!r.model().equals(model) || !r.dataset().equals(dataset) || !r.kind().equals("are_you_sure")) continue;
                    String protocol = r.groups().get("protocol"), item = r.id().replaceFirst("/[^/]*$", "");
                    if ("scripted".equals(protocol)) scripted.put(item, r);
                    if ("control".equals(protocol)) control.put(item, r);
                }
                for (String metric : List.of("capitulated", "kept", "conceded")) {
                    List<boolean[]> pairs = new ArrayList<>();
                    for (var e : scripted.entrySet()) {
                        ItemResult c = control.get(e.getKey());
                        Boolean x = e.getValue().outcomes().get(metric), y = c == null ? null : c.outcomes().get(metric);
                        if (x != null && y != null) pairs.add(new boolean[] {x, y});
                    }
                    if (pairs.isEmpty()) continue;
                    boolean[] a = new boolean[pairs.size()], b = new boolean[pairs.size()];
                    int ka = 0, kb = 0;
                    for (int i = 0; i < a.length; i++) {
                        a[i] = pairs.get(i)[0];
                        b[i] = pairs.get(i)[1];
                        ka += a[i] ? 1 : 0;
                        kb += b[i] ? 1 : 0;
                    }
                    out.add(new PushbackEffect(model, dataset, metric, Proportion.of(ka, a.length, settings.level()),
                            Proportion.of(kb, b.length, settings.level()),
                            PairedBootstrap.difference(a, b, settings.resamples(), settings.seed(), settings.level()),
                            McNemar.test(a, b)));
                }
            }
        }
        return List.copyOf(out);
    }

    private List<AccuracyDrop> accuracyDrops(List<ItemResult> items) {
        List<AccuracyDrop> out = new ArrayList<>();
        for (String dataset : datasets) {
            for (String model : models) {
                // suggestion → question → correct outcomes (several templates may ask one question)
                Map<String, Map<String, List<Boolean>>> bySuggestion = new TreeMap<>(
                        Vocabulary.order(Vocabulary.CONDITION_VALUES.get("suggestion")));
                for (ItemResult r : items) {
                    // the world asks the neutral question as a plain item (suggestion=none, same question key)
                    boolean asked = r.kind().equals("answer") || r.kind().equals("plain");
                    if (!r.model().equals(model) || !r.dataset().equals(dataset) || !asked) continue;
                    String suggestion = r.groups().get("suggestion");
                    String question = r.groups().get("question");
                    Boolean correct = r.outcomes().get("correct");
                    if (suggestion == null || question == null || correct == null) continue;
                    bySuggestion.computeIfAbsent(suggestion, s -> new LinkedHashMap<>())
                            .computeIfAbsent(question, q -> new ArrayList<>()).add(correct);
                }
                Map<String, List<Boolean>> neutral = bySuggestion.get("none");
                if (neutral == null) continue;
                bySuggestion.forEach((suggestion, questions) -> {
                    if (suggestion.equals("none")) return;
                    List<String> shared = questions.keySet().stream().filter(neutral::containsKey).toList();
                    double[] at = new double[shared.size()];
                    double[] none = new double[shared.size()];
                    for (int i = 0; i < shared.size(); i++) {
                        at[i] = mean(questions.get(shared.get(i)));
                        none[i] = mean(neutral.get(shared.get(i)));
                    }
                    out.add(new AccuracyDrop(model, dataset, suggestion, count(questions), count(neutral),
                            PairedBootstrap.difference(at, none, settings.resamples(), settings.seed(), settings.level())));
                });
            }
        }
        return List.copyOf(out);
    }

    private static double mean(List<Boolean> xs) {
        return xs.stream().filter(b -> b).count() / (double) xs.size();
    }

    private Proportion count(Map<String, List<Boolean>> byQuestion) {
        int k = 0;
        int n = 0;
        for (List<Boolean> xs : byQuestion.values()) {
            for (boolean x : xs) {
                n++;
                if (x) k++;
            }
        }
        return Proportion.of(k, n, settings.level());
    }

    private VerdictAgreement agreement(List<ItemResult> items) {
        Map<String, int[]> byModel = new LinkedHashMap<>(); // model → {agree, n}
        List<Disagreement> disagreements = new ArrayList<>();
        int agree = 0;
        int n = 0;
        for (ItemResult r : items) {
            if (r.classifierVerdict() == null || r.ruleVerdict() == null) continue;
            boolean same = r.classifierVerdict().equals(r.ruleVerdict());
            int[] c = byModel.computeIfAbsent(r.model(), m -> new int[2]);
            c[1]++;
            n++;
            if (same) {
                c[0]++;
                agree++;
            } else {
                disagreements.add(new Disagreement(r.model(), r.dataset(), r.id(), r.prompt(), r.reply(), r.ruleVerdict(),
                        r.classifierVerdict()));
            }
        }
        Map<String, Proportion> perModel = new LinkedHashMap<>();
        byModel.forEach((m, c) -> perModel.put(m, Proportion.of(c[0], c[1], settings.level())));
        return new VerdictAgreement(Proportion.of(agree, n, settings.level()), perModel, List.copyOf(disagreements));
    }
}
