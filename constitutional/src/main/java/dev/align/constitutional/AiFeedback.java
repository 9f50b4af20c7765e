package dev.align.constitutional;

import dev.align.core.inference.InferenceModel;
import dev.align.datasets.constitution.FeedbackQuestion;
import dev.align.datasets.constitution.Principle;
import java.util.ArrayList;
import java.util.List;

/**
 * AI feedback, RL-CAI's labelling step (Bai et al. 2022, §4.1): the feedback model is asked each principle's
 * multiple-choice question about a pair of responses, and its answer is read from the normalised probabilities of
 * the options "(A)" and "(B)", never from sampled text. Every question is asked twice, the responses' order swapped,
 * and the two readouts averaged, which cancels a constant preference for a position; the label is the mean over the
 * principles.
 */
public final class AiFeedback {
    private AiFeedback() {}

    /** A pair to compare: the prompt and two responses, in no particular order. */
    public record Pair(List<dev.align.core.tokenizer.ChatTemplate.Message> prompt, String first, String second) {}

    /**
     * The feedback on one pair.
     *
     * @param firstShownA per principle, P(A) when {@code first} is option A
     * @param firstShownB per principle, P(A) when {@code first} is option B (so {@code second} is A)
     * @param probability P(first is better): per principle {@link #orderAveraged}, then the mean over principles;
     *     NaN when no question fitted the context
     * @param fewShot demonstrations per question, the fewest any of its questions was given
     */
    public record Judgement(double[] firstShownA, double[] firstShownB, double probability, int fewShot) {
        public boolean judged() {
            return !Double.isNaN(probability);
        }
    }

    /**
     * The normalised probability of option A from the options' log-probs: p_A / (p_A + p_B) = σ(log p_A − log p_B).
     */
    public static double normalised(double logProbA, double logProbB) {
        double d = logProbA - logProbB;
        return d >= 0 ? 1 / (1 + Math.exp(-d)) : Math.exp(d) / (1 + Math.exp(d));
    }

    /**
     * P(first is better) from both orders: ½ (P(A | first shown as A) + P(B | first shown as B)) =
     * ½ (pA₁ + 1 − pA₂). A feedback model that always answers A scores every pair ½.
     */
    public static double orderAveraged(double probAFirstShownA, double probAFirstShownB) {
        return 0.5 * (probAFirstShownA + 1 - probAFirstShownB);
    }

    /**
     * Whether a readout pair followed the order rather than the content: the same letter won in both orders, so the
     * feedback picked a different response each time.
     */
    public static boolean followedPosition(double probAFirstShownA, double probAFirstShownB) {
        return (probAFirstShownA > 0.5) == (probAFirstShownB > 0.5) && probAFirstShownA != 0.5 && probAFirstShownB != 0.5;
    }

    /** Judges every pair under every principle, in both orders. */
    public static List<Judgement> judge(InferenceModel feedback, List<Principle> principles, List<Pair> pairs, int fewShot) {
        int n = pairs.size(), m = principles.size();
        double[][] shownA = new double[n][m], shownB = new double[n][m];
        int[] fewest = new int[n];
        java.util.Arrays.fill(fewest, Integer.MAX_VALUE);
        int[] rows = new int[2 * n * m]; // question q: pair q / (2m), principle (q / 2) % m, order q % 2
        for (int q = 0; q < rows.length; q++) rows[q] = q;
        int[] shots = FewShot.most(rows.length, fewShot, q -> principles.get((q / 2) % m).preferenceExamples().size());
        List<double[]> scores = FewShot.optionLogProbs(feedback, rows, (q, k) -> {
            Pair p = pairs.get(q / (2 * m));
            Principle principle = principles.get((q / 2) % m);
            boolean swapped = q % 2 == 1;
            return FeedbackQuestion.question(principle, p.prompt(), swapped ? p.second() : p.first(),
                    swapped ? p.first() : p.second(), k);
        }, shots, FeedbackQuestion.OPTIONS);
        for (int q = 0; q < rows.length; q++) {
            int i = q / (2 * m), j = (q / 2) % m;
            double[] s = scores.get(q);
            double pA = Double.isNaN(s[0]) || Double.isNaN(s[1]) ? Double.NaN : normalised(s[0], s[1]);
            if (q % 2 == 0) shownA[i][j] = pA;
            else shownB[i][j] = pA;
            fewest[i] = Math.min(fewest[i], shots[q]);
        }
        List<Judgement> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double sum = 0;
            int counted = 0;
            for (int j = 0; j < m; j++) {
                double p = orderAveraged(shownA[i][j], shownB[i][j]);
                if (!Double.isNaN(p)) {
                    sum += p;
                    counted++;
                }
            }
            out.add(new Judgement(shownA[i], shownB[i], counted == 0 ? Double.NaN : sum / counted, fewest[i]));
        }
        return out;
    }
}
