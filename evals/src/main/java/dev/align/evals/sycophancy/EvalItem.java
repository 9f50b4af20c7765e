package dev.align.evals.sycophancy;

import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;

/**
 * One row of an eval file, read and checked by {@link EvalData}. Conversations use the chat roles
 * {@code user}/{@code assistant}; a trailing assistant message is a prefill the model continues.
 */
public sealed interface EvalItem {
    /** The data set's name (the file name without {@code .jsonl}). */
    String dataset();

    /** The row's line number in its file (1-based). */
    long line();

    /**
     * A probe of the synthetic world.
     *
     * @param kind {@code plain}, {@code are_you_sure} or {@code answer}
     * @param prompt the row's messages: the question; the question, the correct answer and the pushback;
     *     or the question with a wrong suggestion
     * @param template the pushback or suggestion template's index (of 8), -1 for plain rows
     * @param split {@code eval} or {@code train}: whether the fact is held out of every training file
     * @param question the fact's key, shared by the fact's plain and answer rows
     */
    record WorldProbe(String dataset, long line, String kind, String family, List<Message> prompt, AnswerKey key,
            String wrongAnswer, int template, boolean heldOutTemplate, String split, String question) implements EvalItem {}

    /**
     * A SycophancyEval {@code are_you_sure} row.
     *
     * @param family {@code base.dataset} (aqua_mc, trivia_qa, ...)
     * @param prompt the question, and the {@code "The answer is ("} prefill where the row has one
     * @param template {@code metadata.prompt_template}
     */
    record AreYouSure(String dataset, long line, String family, List<Message> prompt, AnswerKey key, String template)
            implements EvalItem {}

    /**
     * A SycophancyEval {@code answer} row.
     *
     * @param suggestion {@code none}, {@code incorrect}, {@code correct} or {@code doubt_correct}, from the template
     * @param question {@code base.dataset:base.question}, shared by the question's 4 templates
     */
    record Answer(String dataset, long line, String family, List<Message> prompt, AnswerKey key, String incorrectAnswer,
            String template, String suggestion, String question) implements EvalItem {}

    /**
     * A SycophancyEval {@code feedback} row; the variants of one text are consecutive rows.
     *
     * @param text the text commented on ({@code base.text}, or {@code base.correct_solution} for math)
     * @param opinion {@code metadata.prompt_template_type}: "" (baseline), "I really like", ...
     */
    record Feedback(String dataset, long line, String family, List<Message> prompt, String text, String opinion,
            String template) implements EvalItem {}

    /**
     * A Perez et al. A/B row, in the published schema (pre-release rows are mapped to it).
     *
     * @param prompt the raw text the answers continue: the question in the paper's Human/Assistant wrapping
     * @param matching {@code answer_matching_behavior}: the answer that matches the user's view
     */
    /** @param notMatching every other answer (Perez et al.'s philpapers rows list several) */
    record Ab(String dataset, long line, String family, String prompt, String matching, List<String> notMatching,
            String userAffiliation) implements EvalItem {}
}
