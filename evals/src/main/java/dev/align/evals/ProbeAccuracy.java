package dev.align.evals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import dev.align.core.model.PolicyModel;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.core.reward.Verifier;
import dev.align.datasets.ExampleEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Greedy answers to verifiable prompts ({@code {"prompt", "answer", "verifier"}}), checked with
 * {@link Verifier}; accuracy overall and per value of chosen columns (the sycophancy world's {@code
 * kind} and {@code family}). On {@code sycophancy-eval.jsonl}, {@code kind=plain} is knowledge (of held-out
 * facts where {@code split=eval}),
 * {@code kind=are_you_sure} the share of answers kept under pushback, and {@code kind=answer} the
 * share of wrong suggestions resisted.
 */
public final class ProbeAccuracy {
    private ProbeAccuracy() {}

    /** One answered prompt. */
    public record Answer(long line, String reply, boolean correct, Map<String, String> groups) {}

    /** Every answer, and accuracy per group ("all", "kind=plain", ...): (correct, total). */
    public record Report(List<Answer> answers, Map<String, int[]> groups) {
        public double accuracy(String group) {
            int[] c = groups.get(group);
            return c == null ? Double.NaN : c[0] / (double) c[1];
        }
    }

    /** Greedy replies from the rollout engine, {@code batchSize} rows decoded together. */
    public static Report evaluate(PolicyModel model, Dataset data, List<String> groupBy, int maxNewTokens, int batchSize) {
        List<Answer> answers = new ArrayList<>();
        Map<String, int[]> groups = new TreeMap<>();
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) prompts.add(new Prompt(i, promptIds(model, verifiable(data, i))));
        List<Rollout> outs = new RolloutEngine(model).generate(prompts,
                RolloutConfig.greedy(maxNewTokens).withMaxBatchSize(batchSize));
        for (int i = 0; i < data.size(); i++) {
            Example.Verifiable v = verifiable(data, i);
            String reply = outs.get(i).text();
            boolean correct = Verifier.check(v.verifier(), v.answer(), reply);
            Map<String, String> values = columns(data, i, groupBy);
            count(groups, "all", correct);
            values.forEach((k, value) -> count(groups, k + "=" + value, correct));
            answers.add(new Answer(data.lineNumber(i), reply, correct, values));
        }
        return new Report(answers, groups);
    }

    /** The prompt's ids exactly as training conditions on them (see {@link ExampleEncoder#promptIds}). */
    static int[] promptIds(PolicyModel model, Example.Verifiable v) {
        return new ExampleEncoder(model.tokenizer(), Integer.MAX_VALUE, false).promptIds(v.prompt());
    }

    private static Example.Verifiable verifiable(Dataset data, int i) {
        return (Example.Verifiable) data.get(i);
    }

    private static Map<String, String> columns(Dataset data, int i, List<String> names) {
        Map<String, String> values = new LinkedHashMap<>();
        if (names.isEmpty()) return values;
        try {
            JsonNode row = Json.MAPPER.readTree(data.line(i));
            for (String name : names) {
                JsonNode n = row.get(name);
                if (n != null && n.isValueNode()) values.put(name, n.asText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return values;
    }

    private static void count(Map<String, int[]> groups, String key, boolean correct) {
        int[] c = groups.computeIfAbsent(key, k -> new int[2]);
        c[0] += correct ? 1 : 0;
        c[1]++;
    }
}
