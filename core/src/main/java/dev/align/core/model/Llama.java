package dev.align.core.model;

import static dev.align.core.model.Functional.attention;
import static dev.align.core.model.Functional.embedding;
import static dev.align.core.model.Functional.headsFirst;
import static dev.align.core.model.Functional.linear;
import static dev.align.core.model.Functional.mergeHeads;
import static dev.align.core.model.Functional.rmsNorm;
import static dev.align.core.model.Functional.silu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama family: Llama, Qwen2 (q/k/v bias), SmolLM and Mistral without sliding windows.
 *
 * <pre>
 *   x = embed_tokens[ids]                                   (B, T, H)
 *   for each layer:
 *     a = RMSNorm(x)
 *     q|k|v = a·Wqkvᵀ  (+bias for Qwen2)                      (B, T, Hq+2·Hkv, D), one matmul
 *     q, k = RoPE(q), RoPE(k)          HF rotate_half convention, rope_theta
 *     x = x + Wo · attention(q, k, v)  grouped-query, causal + padding mask
 *     m = RMSNorm(x)
 *     gate|up = m·Wgate_upᵀ                                   (B, T, 2·I), one matmul
 *     x = x + Wdown · (SiLU(gate) ⊙ up)                       SwiGLU
 *   logits = RMSNorm(x) · lm_headᵀ  (embed_tokens when tied)  (B, T, V)
 * </pre>
 *
 * Wqkv and Wgate_up are HF's q/k/v and gate/up projections stacked at load time ({@link ParameterLayout}).
 * RoPE runs once on the fused heads, with cos 1 and sin 0 on the value heads, and rotate_half as a flip of
 * the two halves against a sin whose first half is negated: the same products and sums as HF's, bit for bit.
 */
public final class Llama implements Decoder {
    static final String QKV_WEIGHT = "self_attn.qkv_proj.weight";
    static final String QKV_BIAS = "self_attn.qkv_proj.bias";
    static final String GATE_UP_WEIGHT = "mlp.gate_up_proj.weight";

    private final ModelConfig c;
    private final Map<String, NDArray> w;
    private final NDArray invFreq; // (D/2) θᵢ
    private final NDArray qkHeads; // (1, 1, N, 1, 1): 1 on query and key heads, 0 on value heads
    private final NDArray valueHeads; // (1, 1, N, 1, 1): 1 − qkHeads
    private final NDArray rotationSigns; // (1, 1, N, 2, 1): −1 | +1 over the halves of q and k heads, 0 on v heads

    public Llama(ModelConfig config, Map<String, NDArray> weights) {
        this.c = config;
        this.w = weights;
        NDManager manager = weights.get("model.embed_tokens.weight").getManager();
        int rotated = c.numHeads() + c.numKvHeads(), n = rotated + c.numKvHeads();
        float[] qk = new float[n], signs = new float[2 * n];
        for (int h = 0; h < rotated; h++) {
            qk[h] = 1;
            signs[2 * h] = -1;
            signs[2 * h + 1] = 1;
        }
        float[] value = new float[n];
        for (int h = rotated; h < n; h++) value[h] = 1;
        this.invFreq = Persistent.keep(manager.create(inverseFrequencies(config)));
        this.qkHeads = Persistent.keep(manager.create(qk, new Shape(1, 1, n, 1, 1)));
        this.valueHeads = Persistent.keep(manager.create(value, new Shape(1, 1, n, 1, 1)));
        this.rotationSigns = Persistent.keep(manager.create(signs, new Shape(1, 1, n, 2, 1)));
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
        long b = ids.getShape().get(0), t = ids.getShape().get(1), d = c.headDim();
        long heads = c.numHeads(), kvHeads = c.numKvHeads(), n = heads + 2 * kvHeads;
        long inter = c.intermediateSize();
        NDArray x = embedding(ids, w.get("model.embed_tokens.weight")); // (B, T, H)
        NDArray[] rope = rotary(positions); // (B, T, N, 1, D/2) cos, (B, T, N, 2, D/2) signed sin
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray a = rmsNorm(x, w.get(p + "input_layernorm.weight"), c.normEps());
            NDArray qkv = linear(a, w.get(p + QKV_WEIGHT), w.get(p + QKV_BIAS)).reshape(b, t, n, 2, d / 2);
            qkv = qkv.mul(rope[0]).add(qkv.flip(3).mul(rope[1])); // RoPE on q and k heads; v passes unchanged
            NDList qkvHeads = headsFirst(qkv, b, t, n, d).split(new long[] {heads, heads + kvHeads}, 1);
            NDArray q = qkvHeads.get(0); // (B, Hq, T, D)
            NDArray k = qkvHeads.get(1); // (B, Hkv, T, D)
            NDArray v = qkvHeads.get(2); // (B, Hkv, T, D)
            if (cache != null) {
                NDArray[] kv = cache.append(i, k, v); // (B, Hkv, Tpast + T, D)
                k = kv[0];
                v = kv[1];
            }
            NDArray o = mergeHeads(attention(q, k, v, bias)); // (B, T, Hq·D)
            x = x.add(linear(o, w.get(p + "self_attn.o_proj.weight"), null));
            NDArray m = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"), c.normEps());
            NDList gateUp = linear(m, w.get(p + GATE_UP_WEIGHT), null).split(new long[] {inter}, 2); // (B, T, I) each
            x = x.add(linear(silu(gateUp.get(0)).mul(gateUp.get(1)), w.get(p + "mlp.down_proj.weight"), null)); // (B, T, H)
        }
        return rmsNorm(x, w.get("model.norm.weight"), c.normEps());
    }

    @Override
    public NDArray lmLogits(NDArray hidden) {
        NDArray head = c.tieWordEmbeddings() ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
        if (head == null) {
            throw new IllegalStateException("this checkpoint has no lm_head.weight (a sequence-classification export?)");
        }
        return linear(hidden, head, null); // (B, T, V)
    }

    /**
     * cos and sin of position·θᵢ computed on the device in float32 as HF does, laid out against the fused
     * heads viewed as (B, T, N, 2, D/2): cos (B, T, N, 1, D/2) is 1 on value heads; sin (B, T, N, 2, D/2) is
     * negated over the first half (rotate_half's sign) and 0 on value heads.
     */
    private NDArray[] rotary(NDArray positions) {
        Shape s = positions.getShape();
        NDArray angle = positions.toType(DataType.FLOAT32, false).reshape(s.get(0), s.get(1), 1, 1, 1).mul(invFreq);
        return new NDArray[] {angle.cos().mul(qkHeads).add(valueHeads), angle.sin().mul(rotationSigns)};
    }

    /** θᵢ = rope_theta^(−2i/D), with Llama 3's frequency-dependent scaling when configured. */
    static float[] inverseFrequencies(ModelConfig c) {
        int half = c.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            inv[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim()));
        }
        ModelConfig.RopeScaling rs = c.ropeScaling();
        if (rs != null) {
            double lowWavelen = rs.originalMaxPositions() / rs.lowFreqFactor();
            double highWavelen = rs.originalMaxPositions() / rs.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowWavelen) {
                    inv[i] = (float) (inv[i] / rs.factor());
                } else if (wavelen >= highWavelen) {
                    double smooth = (rs.originalMaxPositions() / wavelen - rs.lowFreqFactor())
                            / (rs.highFreqFactor() - rs.lowFreqFactor());
                    inv[i] = (float) ((1 - smooth) * inv[i] / rs.factor() + smooth * inv[i]);
                }
            }
        }
        return inv;
    }

    static LinkedHashMap<String, long[]> shapes(ModelConfig c) {
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize(), qd = (long) c.numHeads() * c.headDim(), kvd = (long) c.numKvHeads() * c.headDim();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {h});
            s.put(p + "self_attn.q_proj.weight", new long[] {qd, h});
            s.put(p + "self_attn.k_proj.weight", new long[] {kvd, h});
            s.put(p + "self_attn.v_proj.weight", new long[] {kvd, h});
            if (c.attentionBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {qd});
                s.put(p + "self_attn.k_proj.bias", new long[] {kvd});
                s.put(p + "self_attn.v_proj.bias", new long[] {kvd});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {h, qd});
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
            s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
        }
        s.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        return s;
    }

    /** q/k/v (and their Qwen2 biases) and gate/up stacked into one parameter each, per layer. */
    static LinkedHashMap<String, List<String>> fusions(ModelConfig c) {
        LinkedHashMap<String, List<String>> f = new LinkedHashMap<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            f.put(p + QKV_WEIGHT, List.of(a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"));
            if (c.attentionBias()) {
                f.put(p + QKV_BIAS, List.of(a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias"));
            }
            f.put(p + GATE_UP_WEIGHT, List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"));
        }
        return f;
    }
}
