package dev.align.core.logprob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.align.core.OfflineDjl;
import dev.align.core.model.PolicyModel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Per-token log-probabilities of given tokens under a model: the one place every method gets them
 * (SFT's loss, DPO's implicit reward, PPO's and GRPO's ratios and KL penalty). Padding follows
 * {@link TokenLogProbs}'s rule.
 *
 * <p>Inside a {@code GradientCollector} the result carries gradients and the batch is one pass (the
 * trainer's micro-batch bounds memory). Otherwise nothing is recorded and the batch runs in
 * micro-batches of {@code microBatchSize} rows, whose intermediates (the (rows, T, V) logits) are
 * freed as each one finishes.
 *
 * @param temperature τ > 0: logits are divided by τ before the log-softmax, so log-probs are those of
 *     the distribution completions were sampled from (TRL's PPO and GRPO trainers do the same)
 * @param entropy also return each position's entropy (PPO logs its mean as {@code objective/entropy})
 * @param microBatchSize rows per forward pass when not recording gradients; 0 for the whole batch
 */
public record LogProbs(double temperature, boolean entropy, int microBatchSize) {

    /** τ = 1, no entropy, one pass. */
    public static final LogProbs DEFAULT = new LogProbs(1.0, false, 0);

    public LogProbs {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        if (microBatchSize < 0) throw new IllegalArgumentException("micro-batch size must be >= 0, got " + microBatchSize);
    }

    /** At temperature τ, without entropy, in one pass. */
    public static LogProbs at(double temperature) {
        return new LogProbs(temperature, false, 0);
    }

    public LogProbs withEntropy() {
        return new LogProbs(temperature, true, microBatchSize);
    }

    public LogProbs inMicroBatches(int rows) {
        return new LogProbs(temperature, entropy, rows);
    }

    /**
     * Every token after the first of full sequences.
     *
     * @param ids (B, T) int64
     * @param attention (B, T) 1 for real tokens, padding on either side
     * @param lossMask (B, T) 1 where a token counts (e.g. completion tokens), or null for every real token
     * @return (B, T−1), aligned with {@code ids[:, 1:]}
     */
    public TokenLogProbs sequences(PolicyModel model, NDArray ids, NDArray attention, NDArray lossMask) {
        return inRows(ids.getShape().get(0), (from, to) -> {
            NDIndex r = new NDIndex("{}:{}", from, to);
            NDArray x = ids.get(r), m = attention.get(r);
            return TokenLogProbs.fromLogits(model.logits(x, m), x, m, lossMask == null ? null : lossMask.get(r),
                    temperature, entropy);
        });
    }

    /**
     * The completion tokens of the online-RL layout. The language-model head runs only over the C
     * positions that predict them, not over the prompt (with a 32k vocabulary the head dominates).
     *
     * @return (B, C), aligned with {@code batch.completionIds()}
     */
    public TokenLogProbs completions(PolicyModel model, CompletionBatch batch) {
        return inRows(batch.rows(), (from, to) -> {
            CompletionBatch part = batch.rows(from, to);
            return completions(model, part, model.hidden(part.ids(), part.attention()));
        });
    }

    /**
     * The same from final hidden states already computed (B, P+C, H), e.g. by a pass whose hidden
     * states a value head also reads. One pass: no micro-batches.
     */
    public TokenLogProbs completions(PolicyModel model, CompletionBatch batch, NDArray hidden) {
        NDArray logits = model.logits(batch.predicting(hidden)); // (B, C, V)
        return TokenLogProbs.ofTargets(logits, batch.completionIds(), batch.targetMask(), temperature, entropy);
    }

    /** Runs {@code pass} over row ranges [from, to) and concatenates the results. */
    private TokenLogProbs inRows(long rows, BiFunction<Long, Long, TokenLogProbs> pass) {
        if (microBatchSize == 0 || rows <= microBatchSize || OfflineDjl.isRecording()) return pass.apply(0L, rows);
        List<TokenLogProbs> parts = new ArrayList<>();
        try {
            for (long from = 0; from < rows; from += microBatchSize) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    TokenLogProbs part = pass.apply(from, Math.min(rows, from + microBatchSize));
                    part.unregister();
                    parts.add(part);
                }
            }
            return TokenLogProbs.concat(parts);
        } finally {
            for (TokenLogProbs p : parts) p.close();
        }
    }
}
