package dev.align.core.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.align.core.model.KvCache;
import dev.align.core.model.PolicyModel;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Autoregressive sampling for a batch of prompts of different lengths. Prompts are left-padded so
 * every row's next token sits in the last column; positions and the attention mask skip the padding.
 */
public final class Generator {
    private final PolicyModel model;

    public Generator(PolicyModel model) {
        this.model = model;
    }

    public List<GenerationOutput> generate(List<int[]> prompts, SamplingConfig cfg) {
        int batch = prompts.size();
        Tokenizer tok = model.tokenizer();
        int promptLen = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (promptLen == 0) {
            throw new IllegalArgumentException("every batch needs at least one non-empty prompt");
        }
        int total = promptLen + cfg.maxNewTokens();
        if (total > model.config().maxPositions() && model.config().family() == dev.align.core.model.ModelConfig.Family.GPT2) {
            throw new IllegalArgumentException("prompt plus new tokens (" + total + ") exceed n_positions ("
                    + model.config().maxPositions() + ")");
        }
        // Token and mask buffers for the whole run: row-major (B, total), left padded.
        long[] ids = new long[batch * total];
        long[] mask = new long[batch * total];
        for (int b = 0; b < batch; b++) {
            int[] p = prompts.get(b);
            int offset = promptLen - p.length;
            Arrays.fill(ids, b * total, (b + 1) * total, tok.padId());
            for (int i = 0; i < p.length; i++) {
                ids[b * total + offset + i] = p[i];
                mask[b * total + offset + i] = 1;
            }
        }
        Random[] rngs = new Random[batch];
        List<List<Integer>> outTokens = new ArrayList<>();
        List<List<Float>> outLogProbs = new ArrayList<>();
        String[] reasons = new String[batch];
        String[] texts = new String[batch];
        for (int b = 0; b < batch; b++) {
            rngs[b] = new Random(cfg.seed() * 1_000_003L + b);
            outTokens.add(new ArrayList<>());
            outLogProbs.add(new ArrayList<>());
        }
        int vocab = model.config().vocabSize();
        int unfinished = batch;
        try (NDManager nd = model.manager().newSubManager();
                KvCache cache = cfg.useCache() ? new KvCache(model.config().numLayers()) : null) {
            for (int step = 0; step < cfg.maxNewTokens() && unfinished > 0; step++) {
                int length = promptLen + step; // tokens known so far
                float[] logits = nextTokenLogits(nd, ids, mask, batch, total, length, cache);
                for (int b = 0; b < batch; b++) {
                    int col = b * total + length;
                    if (reasons[b] != null) {
                        ids[col] = tok.padId();
                        continue;
                    }
                    float[] row = Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab);
                    Sampler.Choice choice = Sampler.choose(row, cfg, rngs[b]);
                    ids[col] = choice.token();
                    mask[col] = 1;
                    outTokens.get(b).add(choice.token());
                    outLogProbs.get(b).add(choice.logProb());
                    if (tok.isEos(choice.token())) {
                        reasons[b] = "eos";
                    } else if (!cfg.stopStrings().isEmpty()) {
                        String text = tok.decode(toArray(outTokens.get(b)), true);
                        for (String stop : cfg.stopStrings()) {
                            int at = text.indexOf(stop);
                            if (at >= 0) {
                                reasons[b] = "stop";
                                texts[b] = text.substring(0, at);
                                break;
                            }
                        }
                    }
                    if (reasons[b] != null) unfinished--;
                }
            }
        }
        List<GenerationOutput> outputs = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] t = toArray(outTokens.get(b));
            float[] lp = new float[t.length];
            for (int i = 0; i < lp.length; i++) lp[i] = outLogProbs.get(b).get(i);
            String reason = reasons[b] == null ? "length" : reasons[b];
            String text = texts[b] != null ? texts[b] : tok.decode(t, true);
            outputs.add(new GenerationOutput(t, lp, text, reason));
        }
        return outputs;
    }

    /** Logits (B·V, row-major) for the token after position {@code length − 1} of every row. */
    private float[] nextTokenLogits(NDManager nd, long[] ids, long[] mask, int batch, int total, int length,
            KvCache cache) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int from = cache == null ? 0 : (int) cache.length(); // with a cache, feed only unseen tokens
            int fed = length - from;
            long[] feed = new long[batch * fed];
            long[] seen = new long[batch * length];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(ids, b * total + from, feed, b * fed, fed);
                System.arraycopy(mask, b * total, seen, b * length, length);
            }
            NDArray input = nd.create(feed, new Shape(batch, fed));
            NDArray hidden = model.hidden(input, seen, cache); // (B, fed, H)
            NDArray last = hidden.get(new NDIndex().addAllDim().addSliceDim(fed - 1, fed)); // (B, 1, H)
            return model.logits(last).toFloatArray(); // (B, 1, V)
        }
    }

    private static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
