package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only transformer over tensors named as in Hugging Face checkpoints, except that tensors
 * reading the same input are stacked into one parameter ({@link ParameterLayout}). Implementations are
 * stateless apart from their weights, so one instance serves training, scoring and generation.
 */
public interface Decoder {

    ModelConfig config();

    /** Trainable tensors by parameter name (HF's, or a fused group's: {@link ParameterLayout}), in checkpoint order. */
    Map<String, NDArray> weights();

    /**
     * Final hidden states.
     *
     * @param ids (B, T) int64 token ids
     * @param positions (B, T) int64 position of each token (padding-aware)
     * @param bias (B, 1, T, Tpast+T) additive attention bias, or null when nothing is masked
     * @param cache keys and values of earlier tokens, or null
     * @return (B, T, H) after the final norm
     */
    NDArray hidden(NDArray ids, NDArray positions, NDArray bias, KvCache cache);

    /** (B, T, H) → (B, T, V). */
    NDArray lmLogits(NDArray hidden);

    /** Builds the decoder for a config over already-validated weights. */
    static Decoder of(ModelConfig config, Map<String, NDArray> weights) {
        return switch (config.family()) {
            case LLAMA -> new Llama(config, weights);
            case GPT2 -> new Gpt2(config, weights);
        };
    }

    /** Checkpoint tensors (HF names and shapes) a config requires, in checkpoint order, without building a model. */
    static LinkedHashMap<String, long[]> shapesFor(ModelConfig config) {
        return switch (config.family()) {
            case LLAMA -> Llama.shapes(config);
            case GPT2 -> Gpt2.shapes(config);
        };
    }

    /** Fused parameters → the checkpoint tensors each stacks along axis 0 (see {@link ParameterLayout}). */
    static LinkedHashMap<String, List<String>> fusionsFor(ModelConfig config) {
        return switch (config.family()) {
            case LLAMA -> Llama.fusions(config);
            case GPT2 -> new LinkedHashMap<>(); // c_attn is fused in HF's own checkpoints already
        };
    }
}
