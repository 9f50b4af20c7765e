package dev.align.core.model;

import static dev.align.core.model.Functional.attention;
import static dev.align.core.model.Functional.embedding;
import static dev.align.core.model.Functional.linear;
import static dev.align.core.model.Functional.mergeHeads;
import static dev.align.core.model.Functional.rmsNorm;
import static dev.align.core.model.Functional.rotateHalf;
import static dev.align.core.model.Functional.silu;
import static dev.align.core.model.Functional.splitHeads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Llama family: Llama, Qwen2 (q/k/v bias), SmolLM and Mistral without sliding windows.
 *
 * <pre>
 *   x = embed_tokens[ids]                                   (B, T, H)
 *   for each layer:
 *     a = RMSNorm(x)
 *     q, k, v = a·Wqᵀ, a·Wkᵀ, a·Wvᵀ  (+bias for Qwen2)      (B, Hq|Hkv, T, D)
 *     q, k = RoPE(q), RoPE(k)          HF rotate_half convention, rope_theta
 *     x = x + Wo · attention(q, k, v)  grouped-query, causal + padding mask
 *     m = RMSNorm(x)
 *     x = x + Wdown · (SiLU(m·Wgateᵀ) ⊙ m·Wupᵀ)              SwiGLU
 *   logits = RMSNorm(x) · lm_headᵀ  (embed_tokens when tied)  (B, T, V)
 * </pre>
 */
public final class Llama implements Decoder {
    private final ModelConfig c;
    private final Map<String, NDArray> w;
    private final float[] invFreq;

    public Llama(ModelConfig config, Map<String, NDArray> weights) {
        this.c = config;
        this.w = weights;
        this.invFreq = inverseFrequencies(config);
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
        NDArray x = embedding(ids, w.get("model.embed_tokens.weight")); // (B, T, H)
        NDArray[] cosSin = rotary(x.getManager(), positions); // each (B, 1, T, D)
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            NDArray a = rmsNorm(x, w.get(p + "input_layernorm.weight"), c.normEps());
            NDArray q = splitHeads(linear(a, w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias")),
                    c.numHeads()); // (B, Hq, T, D)
            NDArray k = splitHeads(linear(a, w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias")),
                    c.numKvHeads()); // (B, Hkv, T, D)
            NDArray v = splitHeads(linear(a, w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias")),
                    c.numKvHeads()); // (B, Hkv, T, D)
            q = q.mul(cosSin[0]).add(rotateHalf(q).mul(cosSin[1]));
            k = k.mul(cosSin[0]).add(rotateHalf(k).mul(cosSin[1]));
            if (cache != null) {
                NDArray[] kv = cache.append(i, k, v); // (B, Hkv, Tpast + T, D)
                k = kv[0];
                v = kv[1];
            }
            NDArray o = mergeHeads(attention(q, k, v, bias)); // (B, T, Hq·D)
            x = x.add(linear(o, w.get(p + "self_attn.o_proj.weight"), null));
            NDArray m = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"), c.normEps());
            NDArray gate = silu(linear(m, w.get(p + "mlp.gate_proj.weight"), null)); // (B, T, I)
            NDArray up = linear(m, w.get(p + "mlp.up_proj.weight"), null); // (B, T, I)
            x = x.add(linear(gate.mul(up), w.get(p + "mlp.down_proj.weight"), null)); // (B, T, H)
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

    /** cos and sin of position·θᵢ, duplicated over both halves as HF does: each (B, 1, T, D). */
    private NDArray[] rotary(NDManager manager, NDArray positions) {
        long[] pos = positions.toLongArray();
        Shape s = positions.getShape();
        int b = (int) s.get(0), t = (int) s.get(1), d = c.headDim(), half = d / 2;
        float[] cos = new float[b * t * d];
        float[] sin = new float[b * t * d];
        for (int r = 0; r < b * t; r++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) pos[r] * invFreq[i]; // float32 like HF
                float cv = (float) Math.cos(angle), sv = (float) Math.sin(angle);
                cos[r * d + i] = cv;
                cos[r * d + half + i] = cv;
                sin[r * d + i] = sv;
                sin[r * d + half + i] = sv;
            }
        }
        Shape out = new Shape(b, 1, t, d);
        return new NDArray[] {manager.create(cos, out), manager.create(sin, out)};
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
}
