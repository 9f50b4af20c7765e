package dev.align.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.train.CausalLmLoss;
import dev.align.core.train.Objective;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.TokenBatch;
import dev.align.datasets.TokenizedExample;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Next-token loss on the trained tokens of SFT (or pretraining) examples, and TRL's
 * {@code mean_token_accuracy}: how often the argmax prediction equals the target on those tokens.
 */
public final class SftObjective implements Objective {
    private final Dataset train;
    private final Dataset eval;
    private final ExampleEncoder encoder;
    private final int padId;
    private final int maxLength;
    private final boolean packing;
    private final BitSet truncated = new BitSet();
    private final BitSet seen = new BitSet();
    private final BitSet untrained = new BitSet();

    public SftObjective(Dataset train, Dataset eval, ExampleEncoder encoder, int padId, int maxLength, boolean packing) {
        this.train = train;
        this.eval = eval;
        this.encoder = encoder;
        this.padId = padId;
        this.maxLength = maxLength;
        this.packing = packing;
    }

    @Override
    public int size() {
        return train.size();
    }

    /** Examples cut at max_length among those seen so far. */
    public int truncatedCount() {
        return truncated.cardinality();
    }

    public int seenCount() {
        return seen.cardinality();
    }

    /** Examples among those seen so far with no trained target left (max_length cut every completion token). */
    public int untrainedCount() {
        return untrained.cardinality();
    }

    /** Whether an example has a trained target: a loss position past the first token (which nothing predicts). */
    static boolean hasTrainedTarget(TokenizedExample t) {
        for (int j = 1; j < t.length(); j++) {
            if (t.loss()[j]) return true;
        }
        return false;
    }

    @Override
    public Step loss(PolicyModel model, int[] examples) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (int i : examples) {
            TokenizedExample t = encoder.encode(train.get(i));
            seen.set(i);
            if (t.truncated()) truncated.set(i);
            if (!hasTrainedTarget(t)) untrained.set(i);
            rows.add(t);
        }
        TokenBatch b = TokenBatch.of(model.manager(), packing ? pack(rows) : rows, padId);
        NDArray logits = model.logits(b.ids(), b.attention());
        TokenLogProbs logProbs = TokenLogProbs.fromLogits(logits, b.ids(), b.attention(), b.loss(), 1.0, false);
        NDArray loss = CausalLmLoss.of(logProbs);
        return new Step(loss, Map.of("mean_token_accuracy", (double) accuracy(logits, b.ids(), logProbs.mask())),
                b.tokens());
    }

    @Override
    public Map<String, Double> evaluate(PolicyModel model) {
        if (eval == null) return Map.of();
        double lossSum = 0, accSum = 0, weight = 0;
        int batchSize = 8;
        for (int start = 0; start < eval.size(); start += batchSize) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                List<TokenizedExample> rows = new ArrayList<>();
                for (int i = start; i < Math.min(eval.size(), start + batchSize); i++) rows.add(encoder.encode(eval.get(i)));
                TokenBatch b = TokenBatch.of(model.manager(), rows, padId);
                NDArray logits = model.logits(b.ids(), b.attention());
                TokenLogProbs logProbs = TokenLogProbs.fromLogits(logits, b.ids(), b.attention(), b.loss(), 1.0, false);
                double targets = Scalars.toFloat(logProbs.mask().sum());
                lossSum += Scalars.toFloat(CausalLmLoss.of(logProbs)) * targets;
                accSum += accuracy(logits, b.ids(), logProbs.mask()) * targets;
                weight += targets;
            }
        }
        return Map.of("eval/loss", lossSum / weight, "eval/mean_token_accuracy", accSum / weight);
    }

    /** Greedy packing: examples are concatenated, in order, into rows of at most max_length tokens. */
    private List<TokenizedExample> pack(List<TokenizedExample> rows) {
        List<TokenizedExample> packed = new ArrayList<>();
        List<TokenizedExample> current = new ArrayList<>();
        int length = 0;
        for (TokenizedExample e : rows) {
            if (length + e.length() > maxLength && !current.isEmpty()) {
                packed.add(concat(current));
                current.clear();
                length = 0;
            }
            current.add(e);
            length += e.length();
        }
        if (!current.isEmpty()) packed.add(concat(current));
        return packed;
    }

    private static TokenizedExample concat(List<TokenizedExample> parts) {
        int n = parts.stream().mapToInt(TokenizedExample::length).sum();
        int[] ids = new int[n];
        boolean[] loss = new boolean[n];
        int at = 0;
        for (TokenizedExample p : parts) {
            System.arraycopy(p.ids(), 0, ids, at, p.length());
            System.arraycopy(p.loss(), 0, loss, at, p.length());
            at += p.length();
        }
        return new TokenizedExample(ids, loss, false);
    }

    /** Share of counted targets (mask (B, T−1), {@link TokenLogProbs}'s rule) whose argmax prediction is right. */
    private static float accuracy(NDArray logits, NDArray ids, NDArray mask) {
        NDArray predicted = TokenLogProbs.predicting(logits).argMax(-1); // (B, T−1)
        NDArray hits = predicted.eq(TokenLogProbs.targets(ids)).toType(DataType.FLOAT32, false).mul(mask);
        return Scalars.toFloat(hits.sum()) / Math.max(1f, Scalars.toFloat(mask.sum()));
    }
}
