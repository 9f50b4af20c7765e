package dev.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align.core.logprob.LogProbs;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.TokenBatch;
import dev.align.datasets.TokenizedExample;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference pairs as one batch of 2B rows, chosen responses first, then rejected ones, as TRL's
 * concatenated forward pass: one backbone call scores both sides.
 *
 * @param labelSmoothing cDPO's ε per pair, (B): 1 − the row's soft {@code label} where labels are used
 *     ({@link #smoothing}), the global label_smoothing elsewhere
 */
record PreferenceBatch(TokenBatch tokens, int pairs, NDArray labelSmoothing) {

    /** The pairs {@code examples} of {@code data}, each with its ε ({@link #smoothing}). */
    static PreferenceBatch of(NDManager manager, Dataset data, int[] examples, ExampleEncoder encoder, int padId,
            double labelSmoothing, boolean softLabels) {
        List<TokenizedExample> chosen = new ArrayList<>(), rejected = new ArrayList<>();
        float[] epsilon = new float[examples.length];
        for (int k = 0; k < examples.length; k++) {
            Example e = data.get(examples[k]);
            if (!(e instanceof Example.Preference p)) {
                throw new IllegalArgumentException("DPO needs preference rows, not " + e.getClass().getSimpleName());
            }
            chosen.add(encoder.promptCompletion(p.prompt(), p.chosen()));
            rejected.add(encoder.promptCompletion(p.prompt(), p.rejected()));
            epsilon[k] = (float) smoothing(p, labelSmoothing, softLabels);
        }
        List<TokenizedExample> rows = new ArrayList<>(chosen);
        rows.addAll(rejected);
        return new PreferenceBatch(TokenBatch.of(manager, rows, padId), examples.length, manager.create(epsilon));
    }

    /** cDPO's ε for one pair: 1 − its soft label when {@code softLabels} and it has one, else the global ε. */
    static double smoothing(Example.Preference pair, double labelSmoothing, boolean softLabels) {
        return softLabels && pair.hasLabel() ? 1 - pair.label() : labelSmoothing;
    }

    /** The reference's (chosen, rejected) log-probs of examples of a dataset, (n, 2), for precomputing. */
    static ReferencePolicy.ExampleScores referenceScores(Dataset data, ExampleEncoder encoder, int padId,
            boolean lengthNormalised) {
        return (reference, examples) -> of(reference.model().manager(), data, examples, encoder, padId, 0, false)
                .referenceLogProbs(reference, lengthNormalised);
    }

    /** Per-token log-probs of every row's response tokens under the policy: (2B, T−1). */
    TokenLogProbs tokenLogProbs(PolicyModel model) {
        return LogProbs.DEFAULT.sequences(model, tokens.ids(), tokens.attention(), tokens.loss());
    }

    /** (chosen, rejected) log-probs of each pair under the reference, without gradients: (B, 2). */
    NDArray referenceLogProbs(ReferencePolicy reference, boolean lengthNormalised) {
        return logProbs(reference.sequences(LogProbs.DEFAULT, tokens.ids(), tokens.attention(), tokens.loss()),
                lengthNormalised);
    }

    /**
     * log π(y|x) of each pair's (chosen, rejected) responses, (B, 2): summed over response tokens, or
     * averaged over them when {@code lengthNormalised} (IPO).
     */
    NDArray logProbs(TokenLogProbs rows, boolean lengthNormalised) {
        NDArray perRow = lengthNormalised ? rows.mean() : rows.sum(); // (2B): chosen…, rejected…
        return perRow.reshape(2, pairs).transpose(); // (B, 2)
    }
}
