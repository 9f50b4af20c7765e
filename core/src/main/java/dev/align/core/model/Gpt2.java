package dev.align.core.model;

import static dev.align.core.model.Functional.attention;
import static dev.align.core.model.Functional.conv1d;
import static dev.align.core.model.Functional.embedding;
import static dev.align.core.model.Functional.headsFirst;
import static dev.align.core.model.Functional.layerNorm;
import static dev.align.core.model.Functional.linear;
import static dev.align.core.model.Functional.mergeHeads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GPT-2: learned positions, LayerNorm, GELU (tanh), HF's fused Conv1D {@code c_attn} (in, 3·out).
 *
 * <pre>
 *   x = wte[ids] + wpe[positions]                           (B, T, H)
 *   for each layer:
 *     q|k|v = LN1(x) · c_attn + b                            (B, T, 3H) split → (B, heads, T, D)
 *     x = x + attention(q, k, v) · attn.c_proj + b           causal + padding mask
 *     x = x + GELU(LN2(x) · c_fc + b) · mlp.c_proj + b       (B, T, 4H) → (B, T, H)
 *   logits = LN_f(x) · wteᵀ                                  (B, T, V), tied
 * </pre>
 */
public final class Gpt2 implements Decoder {
    private static final String T = "transformer.";
    private final ModelConfig c;
    private final Map<String, NDArray> w;

    public Gpt2(ModelConfig config, Map<String, NDArray> weights) {
        this.c = config;
        this.w = weights;
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public Map<String, NDArray> weights() {
        return w;
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray bias, KvCache cache) {
        long b = ids.getShape().get(0), t = ids.getShape().get(1), heads = c.numHeads(), d = c.headDim();
        NDArray x = embedding(ids, w.get(T + "wte.weight")).add(embedding(positions, w.get(T + "wpe.weight")));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = T + "h." + i + ".";
            NDArray a = layerNorm(x, w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"), c.normEps());
            NDArray qkv = conv1d(a, w.get(p + "attn.c_attn.weight"), w.get(p + "attn.c_attn.bias")); // (B, T, 3H)
            NDList qkvHeads = headsFirst(qkv.reshape(b, t, 3 * heads, d), b, t, 3 * heads, d).split(3, 1);
            NDArray q = qkvHeads.get(0); // (B, heads, T, D)
            NDArray k = qkvHeads.get(1);
            NDArray v = qkvHeads.get(2);
            if (cache != null) {
                NDArray[] kv = cache.append(i, k, v);
                k = kv[0];
                v = kv[1];
            }
            NDArray o = mergeHeads(attention(q, k, v, bias)); // (B, T, H)
            x = x.add(conv1d(o, w.get(p + "attn.c_proj.weight"), w.get(p + "attn.c_proj.bias")));
            NDArray m = layerNorm(x, w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"), c.normEps());
            NDArray f = conv1d(m, w.get(p + "mlp.c_fc.weight"), w.get(p + "mlp.c_fc.bias")); // (B, T, 4H)
            f = c.hiddenAct().equals("gelu") ? Functional.gelu(f) : Functional.geluTanh(f);
            x = x.add(conv1d(f, w.get(p + "mlp.c_proj.weight"), w.get(p + "mlp.c_proj.bias")));
        }
        return layerNorm(x, w.get(T + "ln_f.weight"), w.get(T + "ln_f.bias"), c.normEps());
    }

    @Override
    public NDArray lmLogits(NDArray hidden) {
        return linear(hidden, w.get(T + "wte.weight"), null); // tied: (B, T, V)
    }

    static LinkedHashMap<String, long[]> shapes(ModelConfig c) {
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize(), inner = c.intermediateSize();
        s.put(T + "wte.weight", new long[] {c.vocabSize(), h});
        s.put(T + "wpe.weight", new long[] {c.maxPositions(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = T + "h." + i + ".";
            s.put(p + "ln_1.weight", new long[] {h});
            s.put(p + "ln_1.bias", new long[] {h});
            s.put(p + "attn.c_attn.weight", new long[] {h, 3 * h});
            s.put(p + "attn.c_attn.bias", new long[] {3 * h});
            s.put(p + "attn.c_proj.weight", new long[] {h, h});
            s.put(p + "attn.c_proj.bias", new long[] {h});
            s.put(p + "ln_2.weight", new long[] {h});
            s.put(p + "ln_2.bias", new long[] {h});
            s.put(p + "mlp.c_fc.weight", new long[] {h, inner});
            s.put(p + "mlp.c_fc.bias", new long[] {inner});
            s.put(p + "mlp.c_proj.weight", new long[] {inner, h});
            s.put(p + "mlp.c_proj.bias", new long[] {h});
        }
        s.put(T + "ln_f.weight", new long[] {h});
        s.put(T + "ln_f.bias", new long[] {h});
        return s;
    }
}
