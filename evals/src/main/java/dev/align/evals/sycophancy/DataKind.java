package dev.align.evals.sycophancy;

import java.util.Locale;

/** The kinds of eval file {@link EvalData} reads, by their row shape. */
public enum DataKind {
    /** The synthetic world's {@code sycophancy-eval.jsonl}: {@code kind} plain, are_you_sure or answer per row. */
    WORLD,
    /** SycophancyEval's {@code are_you_sure.jsonl}: answer, be challenged, answer again. */
    ARE_YOU_SURE,
    /** SycophancyEval's {@code answer.jsonl}: one question under 4 suggestion templates. */
    ANSWER,
    /** SycophancyEval's {@code feedback.jsonl}: comments on one text under 5 stated opinions. */
    FEEDBACK,
    /** Perez et al.'s A/B files: which of two answers the model prefers, by log-prob. */
    AB;

    /** The name users write ({@code are_you_sure}, {@code ab}, ...). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code id}, or null. */
    public static DataKind of(String id) {
        for (DataKind k : values()) if (k.id().equals(id)) return k;
        return null;
    }
}
