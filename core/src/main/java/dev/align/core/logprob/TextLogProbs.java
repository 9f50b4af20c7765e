package dev.align.core.logprob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import dev.align.core.model.PolicyModel;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probs of given tokens after given prefixes under a model's own distribution (τ = 1), for inference:
 * the continuation scores evals compare (log p(continuation | prompt) on raw text) and the per-token
 * log-probs, with the most likely alternatives, that {@code align serve} returns (OpenAI's {@code logprobs},
 * {@code top_logprobs} and {@code echo}). Rows use the {@link CompletionBatch} layout, so the language-model
 * head runs only over the positions that predict scored tokens, and each target's log-prob is
 * {@link TokenLogProbs#ofTargets}'s, the one every trainer uses. Nothing is recorded for gradients.
 *
 * <pre>{@code
 * double[] lp = new TextLogProbs(model).continuations(List.of("Q: 2+2?\nA:"), List.of(" 4"));
 * }</pre>
 */
public final class TextLogProbs {
    /** Rows per forward pass at most. */
    public static final int BATCH_ROWS = 32;
    /** Logit elements (rows × scored positions × vocabulary) per forward pass at most: 256 MB of float32. */
    static final long LOGIT_BUDGET = 64L << 20;

    private final PolicyModel model;

    public TextLogProbs(PolicyModel model) {
        this.model = model;
    }

    /**
     * The scored tokens of one row.
     *
     * @param logProbs log p(target t | prefix, targets before t), one per target
     * @param topIds per target position, the {@code topK} most likely token ids, most likely first (empty rows
     *     when {@code topK} is 0)
     * @param topLogProbs their log-probs
     */
    public record Scored(float[] logProbs, int[][] topIds, float[][] topLogProbs) {
        /** Σ log-probs of targets [from, end), summed in double. */
        public double sum(int from) {
            double s = 0;
            for (int t = from; t < logProbs.length; t++) s += logProbs[t];
            return s;
        }
    }

    /**
     * Scores every target token after its prefix.
     *
     * @param prefixes token ids before the targets, each not empty
     * @param targets token ids to score, one list per prefix (may be empty)
     * @param topK alternatives per position to return, 0 for none
     */
    public List<Scored> tokens(List<int[]> prefixes, List<int[]> targets, int topK) {
        if (prefixes.size() != targets.size()) {
            throw new IllegalArgumentException(prefixes.size() + " prefixes but " + targets.size() + " target lists");
        }
        if (topK < 0 || topK > model.config().vocabSize()) throw new IllegalArgumentException("top-k must be in [0, vocabulary size]");
        int n = prefixes.size();
        for (int i = 0; i < n; i++) {
            if (prefixes.get(i).length == 0) throw new IllegalArgumentException("row " + i + " has an empty prefix");
        }
        Scored[] out = new Scored[n];
        long vocab = model.config().vocabSize();
        try (OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            for (int from = 0; from < n;) {
                int to = from, widest = 0;
                while (to < n && to - from < BATCH_ROWS) {
                    int c = Math.max(widest, Math.max(1, targets.get(to).length));
                    if (to > from && (long) (to - from + 1) * c * vocab > LOGIT_BUDGET) break;
                    widest = c;
                    to++;
                }
                score(prefixes.subList(from, to), targets.subList(from, to), topK, out, from);
                from = to;
            }
        }
        return Arrays.asList(out);
    }

    private void score(List<int[]> heads, List<int[]> tails, int topK, Scored[] out, int offset) {
        try (NDManager scope = model.manager().newSubManager()) {
            CompletionBatch batch = CompletionBatch.of(scope, heads, tails, model.tokenizer().padId());
            NDArray hidden = model.hidden(batch.ids(), batch.attention()); // (B, P+C, H)
            NDArray logits = model.logits(batch.predicting(hidden)); // (B, C, V)
            float[] picked = TokenLogProbs.ofTargets(logits, batch.completionIds(), batch.targetMask(), 1.0, false)
                    .logProbs().toFloatArray(); // (B·C)
            int c = (int) batch.completionLength();
            float[] topValues = null;
            long[] topIndices = null;
            if (topK > 0) {
                NDList top = TokenLogProbs.logSoftmax(logits, 1.0).topK(topK, -1, true, true); // (B, C, k) each
                topValues = top.get(0).toFloatArray();
                topIndices = top.get(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
            }
            for (int b = 0; b < heads.size(); b++) {
                int len = tails.get(b).length;
                float[] lp = Arrays.copyOfRange(picked, b * c, b * c + len);
                int[][] ids = new int[len][topK];
                float[][] values = new float[len][topK];
                for (int t = 0; t < len && topK > 0; t++) {
                    int at = (b * c + t) * topK;
                    values[t] = Arrays.copyOfRange(topValues, at, at + topK);
                    for (int k = 0; k < topK; k++) ids[t][k] = (int) topIndices[at + k];
                }
                out[offset + b] = new Scored(lp, ids, values);
            }
        }
    }

    /**
     * The index of a text's first continuation token: the first token that starts at or after the prompt's
     * last character, so a token straddling the boundary belongs to the prompt.
     *
     * @param promptLength the prompt's length in the units of the spans (Java chars for {@link Tokenizer.Spans})
     */
    public static int continuationStart(Tokenizer.Spans spans, int promptLength) {
        int k = 0;
        while (k < spans.length() && spans.start()[k] < promptLength) k++;
        return k;
    }

    /**
     * log p(continuation | prompt) summed over the continuation's tokens, for raw text (no chat template):
     * prompt and continuation are tokenized together with the tokenizer's special tokens (a BOS for Llama),
     * and the continuation's tokens are those from {@link #continuationStart}. A pair longer than the model's
     * positions gets NaN (a RoPE model was never trained there; GPT-2 has no such position).
     *
     * @throws IllegalArgumentException when a continuation has no token of its own or its prompt has none
     */
    public double[] continuations(List<String> prompts, List<String> continuations) {
        if (prompts.size() != continuations.size()) throw new IllegalArgumentException("one continuation per prompt");
        Tokenizer tokenizer = model.tokenizer();
        int n = prompts.size();
        List<int[]> heads = new ArrayList<>(n), tails = new ArrayList<>(n);
        List<Integer> fits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String prompt = prompts.get(i);
            Tokenizer.Spans s = tokenizer.encodeWithSpans(prompt + continuations.get(i), true);
            int k = continuationStart(s, prompt.length());
            if (k == 0 || k == s.length()) {
                throw new IllegalArgumentException("continuation " + i + " has no token of its own, or its prompt has none");
            }
            if (s.length() > model.config().maxPositions()) continue; // NaN below: past the positions the model has
            fits.add(i);
            heads.add(Arrays.copyOfRange(s.ids(), 0, k));
            tails.add(Arrays.copyOfRange(s.ids(), k, s.length()));
        }
        List<Scored> scored = tokens(heads, tails, 0);
        double[] out = new double[n];
        Arrays.fill(out, Double.NaN);
        for (int j = 0; j < fits.size(); j++) out[fits.get(j)] = scored.get(j).sum(0);
        return out;
    }
}
