package dev.align.constitutional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.InferenceModel.Reply;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.datasets.constitution.Constitution;
import dev.align.datasets.constitution.Principle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code align cai prefs}: preference pairs labelled by AI feedback. Pairs are two responses sampled from the policy
 * per prompt, or, for a preference file, its own {@code chosen} and {@code rejected} (relabelled: the output then
 * says how often the feedback agrees with the file's labels). Each pair is judged by {@link AiFeedback}; the output
 * row orders it by the feedback ({@code chosen} is the response the feedback prefers) with the soft {@code label}
 * P(chosen is better) ≥ ½, so {@code align rm} and {@code align dpo} read the file as it is (cDPO and the reward
 * model's soft target use the label).
 */
public final class FeedbackPreferences {
    private FeedbackPreferences() {}

    /**
     * One labelled pair.
     *
     * @param givenFirst true when {@code pair.first()} is the input's own chosen response (relabelling)
     */
    public record Labelled(PromptRow row, AiFeedback.Pair pair, AiFeedback.Judgement judgement, boolean givenFirst) {
        public boolean firstPreferred() {
            return judgement.probability() >= 0.5;
        }
    }

    /**
     * @param labelled the judged pairs
     * @param identical sampled pairs whose two responses were the same text (no preference to learn; left out)
     * @param tooLong prompts whose responses, or every question about them, did not fit the context
     */
    public record Result(List<Labelled> labelled, List<Principle> principles, int identical, int tooLong) {}

    /**
     * @param policy samples the two responses of prompt-only rows (unused when every row carries a pair)
     * @param feedback answers the multiple-choice questions
     */
    public static Result run(InferenceModel policy, InferenceModel feedback, Constitution constitution, List<PromptRow> rows,
            FeedbackConfig config, PrintWriter log) {
        List<Principle> principles = CritiqueRevision.principles(constitution, config.principles());
        List<AiFeedback.Pair> pairs = new ArrayList<>();
        List<PromptRow> kept = new ArrayList<>();
        List<Boolean> given = new ArrayList<>();
        int identical = 0, tooLong = 0;
        List<PromptRow> toSample = rows.stream().filter(r -> !r.hasPair()).toList();
        if (!toSample.isEmpty() && policy == null) {
            throw new BadInputException("prompts without a pair need --model to sample two responses");
        }
        Map<PromptRow, Reply[]> sampled = new java.util.IdentityHashMap<>();
        if (!toSample.isEmpty()) {
            List<List<dev.align.core.tokenizer.ChatTemplate.Message>> prompts = toSample.stream().map(PromptRow::prompt).toList();
            List<Reply> first = policy.reply(prompts, config.sampling().responses(0));
            List<Reply> second = policy.reply(prompts, config.sampling().responses(1));
            for (int i = 0; i < toSample.size(); i++) sampled.put(toSample.get(i), new Reply[] {first.get(i), second.get(i)});
            log.printf("cai prefs: sampled 2 responses for each of %d prompts%n", toSample.size());
        }
        for (PromptRow r : rows) {
            if (r.hasPair()) {
                pairs.add(new AiFeedback.Pair(r.prompt(), r.chosen(), r.rejected()));
                kept.add(r);
                given.add(true);
                continue;
            }
            Reply[] two = sampled.get(r);
            if (!two[0].answered() || !two[1].answered()) {
                tooLong++;
                continue;
            }
            String a = two[0].text().strip(), b = two[1].text().strip();
            if (a.equals(b)) {
                identical++;
                continue;
            }
            pairs.add(new AiFeedback.Pair(r.prompt(), a, b));
            kept.add(r);
            given.add(false);
        }
        log.printf("cai prefs: judging %d pairs under %d principles, both orders (%d questions)%n", pairs.size(),
                principles.size(), 2 * pairs.size() * principles.size());
        List<AiFeedback.Judgement> judged = AiFeedback.judge(feedback, principles, pairs, config.fewShot());
        List<Labelled> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            if (!judged.get(i).judged()) {
                tooLong++;
                continue;
            }
            out.add(new Labelled(kept.get(i), pairs.get(i), judged.get(i), given.get(i)));
        }
        return new Result(out, principles, identical, tooLong);
    }

    /**
     * The output row: {@code prompt}, {@code chosen}, {@code rejected} (conversational, as the responses were sampled
     * through the chat template), {@code label} = P(chosen is better) ≥ ½, then {@code principle_probabilities}
     * (P(chosen is better) per principle, both orders averaged), {@code position_probabilities} (per principle, P(A)
     * with chosen shown as A, then with chosen shown as B), {@code few_shot}, for a relabelled pair {@code
     * agrees_with_input}, and the input row's other columns.
     */
    static ObjectNode row(Labelled l, List<Principle> principles) {
        AiFeedback.Judgement j = l.judgement();
        boolean flip = !l.firstPreferred();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("prompt", l.row().promptJson());
        o.set("chosen", PromptRow.assistant(flip ? l.pair().second() : l.pair().first()));
        o.set("rejected", PromptRow.assistant(flip ? l.pair().first() : l.pair().second()));
        o.put("label", round(flip ? 1 - j.probability() : j.probability()));
        ObjectNode per = o.putObject("principle_probabilities");
        var pos = o.putObject("position_probabilities");
        for (int k = 0; k < principles.size(); k++) {
            double p = AiFeedback.orderAveraged(j.firstShownA()[k], j.firstShownB()[k]);
            per.put(principles.get(k).id(), round(flip ? 1 - p : p));
            // with chosen shown as A, then as B: P(A) in each order
            double chosenA = flip ? j.firstShownB()[k] : j.firstShownA()[k], chosenB = flip ? j.firstShownA()[k] : j.firstShownB()[k];
            pos.putArray(principles.get(k).id()).add(round(chosenA)).add(round(chosenB));
        }
        o.put("few_shot", j.fewShot());
        if (l.givenFirst()) o.put("agrees_with_input", !flip);
        o.put("line", l.row().line());
        l.row().columns().fields().forEachRemaining(e -> {
            if (!o.has(e.getKey())) o.set(e.getKey(), e.getValue());
        });
        return o;
    }

    private static double round(double x) {
        return Math.round(x * 1e6) / 1e6;
    }

    /**
     * Counts, the mean label, the feedback model's position bias (over every question pair: how often the same
     * letter won in both orders, so the answer followed the order rather than the content; and the mean P(A), ½ for
     * a model without a position preference), and for relabelled pairs the agreement with the input's labels, in all
     * and per {@code kind} column where the rows have one.
     */
    static Map<String, Object> summary(Result result) {
        Map<String, Object> s = new LinkedHashMap<>();
        List<Labelled> ls = result.labelled();
        s.put("pairs", ls.size());
        s.put("identical_pairs_left_out", result.identical());
        s.put("too_long", result.tooLong());
        s.put("principles", result.principles().stream().map(Principle::id).toList());
        double labelSum = 0;
        long readouts = 0, followed = 0;
        double probA = 0;
        Map<String, long[]> perPrinciple = new LinkedHashMap<>();
        for (Labelled l : ls) {
            labelSum += Math.max(l.judgement().probability(), 1 - l.judgement().probability());
            for (int k = 0; k < result.principles().size(); k++) {
                double a = l.judgement().firstShownA()[k], b = l.judgement().firstShownB()[k];
                if (Double.isNaN(a) || Double.isNaN(b)) continue;
                readouts++;
                probA += a + b;
                boolean f = AiFeedback.followedPosition(a, b);
                if (f) followed++;
                long[] c = perPrinciple.computeIfAbsent(result.principles().get(k).id(), x -> new long[2]);
                c[0]++;
                if (f) c[1]++;
            }
        }
        s.put("mean_label", ls.isEmpty() ? null : labelSum / ls.size());
        Map<String, Object> bias = new LinkedHashMap<>();
        bias.put("question_pairs", readouts);
        bias.put("followed_position", readouts == 0 ? null : followed / (double) readouts);
        bias.put("mean_probability_a", readouts == 0 ? null : probA / (2.0 * readouts));
        Map<String, Object> byPrinciple = new LinkedHashMap<>();
        perPrinciple.forEach((id, c) -> byPrinciple.put(id, c[1] / (double) c[0]));
        bias.put("followed_position_by_principle", byPrinciple);
        s.put("position_bias", bias);
        List<Labelled> given = ls.stream().filter(Labelled::givenFirst).toList();
        if (!given.isEmpty()) {
            Map<String, Object> agree = new LinkedHashMap<>();
            agree.put("all", agreement(given));
            Map<String, List<Labelled>> byKind = new java.util.TreeMap<>();
            for (Labelled l : given) {
                String kind = l.row().column("kind");
                if (kind != null) byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(l);
            }
            byKind.forEach((kind, list) -> agree.put(kind, agreement(list)));
            s.put("agreement_with_input", agree);
        }
        return s;
    }

    /** How often the feedback preferred the input's chosen response: the share with its 95% Wilson interval, and the count of n. */
    private static Map<String, Object> agreement(List<Labelled> given) {
        int agree = (int) given.stream().filter(Labelled::firstPreferred).count();
        dev.align.core.stats.Interval ci = dev.align.core.stats.Wilson.interval(agree, given.size());
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("rate", agree / (double) given.size());
        a.put("ci95", List.of(round(ci.lower()), round(ci.upper())));
        a.put("agree", agree);
        a.put("n", given.size());
        return a;
    }

    /** Writes the labelled pairs to {@code out} and the summary beside it ({@code NAME-summary.json}), each atomically. */
    public static Map<String, Object> write(Path out, Result result, Map<String, Object> provenance) {
        StringBuilder sb = new StringBuilder();
        for (Labelled l : result.labelled()) sb.append(Json.compact(row(l, result.principles()))).append('\n');
        AtomicFiles.writeString(out, sb.toString());
        Map<String, Object> summary = summary(result);
        Map<String, Object> all = new LinkedHashMap<>(provenance);
        all.putAll(summary);
        try {
            AtomicFiles.writeString(summaryFile(out), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return summary;
    }

    /** {@code prefs.jsonl} → {@code prefs-summary.json}. */
    public static Path summaryFile(Path out) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
        return out.resolveSibling(stem + "-summary.json");
    }
}
