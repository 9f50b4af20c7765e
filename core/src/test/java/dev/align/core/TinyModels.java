package dev.align.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import java.util.List;

/** Small models every core test can build in milliseconds. */
public final class TinyModels {
    private TinyModels() {}

    /** Llama family with grouped-query attention (4 heads, 2 kv heads), untied head. */
    public static TransformerPolicy llama(NDManager manager, long seed) {
        ModelConfig c = ModelConfig.llama("llama", ByteLevelVocabulary.SIZE, 32, 2, 4, 2, 64, 256, false);
        return TransformerPolicy.initialize(manager, c, Tokenizer.byteLevel(), seed);
    }

    /** Qwen2: q/k/v biases and tied embeddings. */
    public static TransformerPolicy qwen2(NDManager manager, long seed) {
        ModelConfig c = ModelConfig.llama("qwen2", ByteLevelVocabulary.SIZE, 32, 2, 4, 1, 48, 256, true);
        return TransformerPolicy.initialize(manager, c, Tokenizer.byteLevel(), seed);
    }

    public static TransformerPolicy gpt2(NDManager manager, long seed) {
        ModelConfig c = ModelConfig.gpt2(ByteLevelVocabulary.SIZE, 32, 2, 4, 128);
        return TransformerPolicy.initialize(manager, c, Tokenizer.byteLevel(), seed);
    }

    public static List<TransformerPolicy> all(NDManager manager, long seed) {
        return List.of(llama(manager, seed), qwen2(manager, seed), gpt2(manager, seed));
    }

    /** Right-padded (B, T) int64 ids and mask from rows of ids. */
    public static NDArray[] batch(NDManager manager, List<int[]> rows, int padId, boolean leftPad) {
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] ids = new long[rows.size() * t];
        long[] mask = new long[rows.size() * t];
        for (int b = 0; b < rows.size(); b++) {
            int[] r = rows.get(b);
            int off = leftPad ? t - r.length : 0;
            for (int i = 0; i < t; i++) ids[b * t + i] = padId;
            for (int i = 0; i < r.length; i++) {
                ids[b * t + off + i] = r[i];
                mask[b * t + off + i] = 1;
            }
        }
        Shape s = new Shape(rows.size(), t);
        return new NDArray[] {manager.create(ids, s), manager.create(mask, s)};
    }
}
