package dev.align.datasets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.align.core.model.PolicyModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model applied to (prompt, response) pairs: each pair is rendered with the model's chat
 * template and scored by the scalar head at its last token. {@code align reward} and PPO use it.
 */
public final class ResponseScorer {
    private final PolicyModel model;
    private final ExampleEncoder encoder;
    private final int batchSize;

    public ResponseScorer(PolicyModel model, int maxLength, int batchSize) {
        if (!model.hasScoreHead()) {
            throw new IllegalArgumentException("the model has no reward head (score.weight); train one with 'align rm'");
        }
        this.model = model;
        this.encoder = new ExampleEncoder(model.tokenizer(), maxLength, false);
        this.batchSize = batchSize;
    }

    /** Tokenizes one pair the way reward training does. */
    public TokenizedExample encode(Example.Turns prompt, Example.Turns response) {
        return encoder.promptCompletion(prompt, response);
    }

    /** Scores of pairs, in order. */
    public float[] score(List<Example.Turns> prompts, List<Example.Turns> responses) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(encode(prompts.get(i), responses.get(i)));
        return scoreTokenized(rows);
    }

    /** Scores of already tokenized sequences, in batches. */
    public float[] scoreTokenized(List<TokenizedExample> rows) {
        float[] out = new float[rows.size()];
        for (int start = 0; start < rows.size(); start += batchSize) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                List<TokenizedExample> part = rows.subList(start, Math.min(rows.size(), start + batchSize));
                TokenBatch b = TokenBatch.of(model.manager(), part, model.tokenizer().padId());
                NDArray scores = model.scores(model.hidden(b.ids(), b.attention()), b.attention());
                System.arraycopy(scores.toFloatArray(), 0, out, start, part.size());
            }
        }
        return out;
    }
}
