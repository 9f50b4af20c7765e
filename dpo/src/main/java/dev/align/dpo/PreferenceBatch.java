package dev.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.SequenceLogProbs;
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
 */
record PreferenceBatch(TokenBatch tokens, int pairs) {

    static PreferenceBatch of(NDManager manager, Dataset data, int[] examples, ExampleEncoder encoder, int padId) {
        List<TokenizedExample> chosen = new ArrayList<>(), rejected = new ArrayList<>();
        for (int i : examples) {
            Example e = data.get(i);
            if (!(e instanceof Example.Preference p)) {
                throw new IllegalArgumentException("DPO needs preference rows, not " + e.getClass().getSimpleName());
            }
            chosen.add(encoder.promptCompletion(p.prompt(), p.chosen()));
            rejected.add(encoder.promptCompletion(p.prompt(), p.rejected()));
        }
        List<TokenizedExample> rows = new ArrayList<>(chosen);
        rows.addAll(rejected);
        return new PreferenceBatch(TokenBatch.of(manager, rows, padId), examples.length);
    }

    /**
     * log π(y|x) of every row (2B): summed over response tokens, or averaged over them when {@code
     * lengthNormalised} (IPO).
     */
    NDArray logProbs(PolicyModel model, boolean lengthNormalised) {
        return logProbs(model.tokenLogProbs(tokens.ids(), tokens.attention()), lengthNormalised);
    }

    /** The same from per-token log-probs (2B, T−1) already computed. */
    NDArray logProbs(NDArray tokenLogProbs, boolean lengthNormalised) {
        NDArray sum = SequenceLogProbs.sum(tokenLogProbs, tokens.loss());
        return lengthNormalised ? sum.div(SequenceLogProbs.count(tokens.loss()).maximum(1f)) : sum;
    }

    NDArray chosen(NDArray rows) {
        return rows.get("0:" + pairs);
    }

    NDArray rejected(NDArray rows) {
        return rows.get(pairs + ":");
    }
}
