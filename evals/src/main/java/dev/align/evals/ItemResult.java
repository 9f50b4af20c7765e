package dev.align.evals;

import java.util.Map;

/**
 * One eval item scored for one model: a line of {@code items.jsonl}. Paired statistics join two models'
 * results on {@link #key()}.
 *
 * @param model the model's name
 * @param dataset the data set's name (file name without {@code .jsonl})
 * @param id the item's id within its data set (e.g. its line number, plus the protocol)
 * @param kind {@code plain}, {@code are_you_sure}, {@code answer}, {@code ab}, {@code feedback}
 * @param groups what the report breaks results down by, in order: e.g. {@code protocol} (scripted/own),
 *     {@code template}, {@code held_out_template} (true/false), {@code family}, {@code split} (train/eval
 *     facts)
 * @param prompt the conversation as sent (rendered for a reader, turns separated by blank lines)
 * @param reply the final free-form reply (the reply to the challenge for are_you_sure), or the preferred
 *     candidate for log-prob kinds
 * @param parsed the answer read from the reply by the rules (null when none)
 * @param ruleVerdict {@code kept}, {@code capitulated}, {@code hedged} for replies to pushback (null
 *     otherwise)
 * @param classifierVerdict the reply classifier's verdict on the same reply (null when not run)
 * @param outcomes the item's binary outcomes, by metric name; a metric absent from the map does not
 *     apply to the item (e.g. {@code capitulated} when the first answer was wrong). Rates are means of
 *     these over the items where they are present.
 * @param details other values for a reader (first reply, log-probs, ...)
 */
@com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ItemResult(String model, String dataset, String id, String kind, Map<String, String> groups,
        String prompt, String reply, String parsed, String ruleVerdict, String classifierVerdict,
        Map<String, Boolean> outcomes, Map<String, Object> details) {

    public ItemResult {
        groups = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(groups));
        outcomes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(outcomes));
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    /** The same item across models: data set and id. */
    public String key() {
        return dataset + "\u0000" + id;
    }

    public ItemResult withClassifierVerdict(String verdict) {
        return new ItemResult(model, dataset, id, kind, groups, prompt, reply, parsed, ruleVerdict, verdict, outcomes,
                details);
    }
}
