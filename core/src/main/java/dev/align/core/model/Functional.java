package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/** The transformer's building blocks as pure functions of NDArrays, like {@code torch.nn.functional}. */
public final class Functional {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private Functional() {}

    /** x (..., in) · W(out, in)ᵀ + b(out) → (..., out). HF's nn.Linear layout. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /** x (..., in) · W(in, out) + b(out): GPT-2's Conv1D layout. */
    public static NDArray conv1d(NDArray x, NDArray weight, NDArray bias) {
        return x.matMul(weight).add(bias);
    }

    /** ids (B, T) int64 → rows of table (V, H) → (B, T, H). */
    public static NDArray embedding(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Llama's RMSNorm: w ⊙ x / sqrt(mean(x²) + eps) over the last axis. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(eps).sqrt()).mul(weight);
    }

    /** LayerNorm over the last axis. */
    public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        Shape normalized = new Shape(x.getShape().get(x.getShape().dimension() - 1));
        return x.getNDArrayInternal().layerNorm(x, normalized, weight, bias, (float) eps).singletonOrThrow();
    }

    /** SiLU(x) = x · σ(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** GELU with the tanh approximation (HF "gelu_new", GPT-2). */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(Scalars.constant(x, 3)).mul(Scalars.constant(x, 0.044715f))).mul(Scalars.constant(x, SQRT_2_OVER_PI));
        return x.mul(inner.tanh().add(1f)).mul(Scalars.constant(x, 0.5));
    }

    /** Exact GELU (HF "gelu"). */
    public static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    /**
     * Scaled dot-product attention with grouped-query heads.
     *
     * @param q (B, H, Tq, D)
     * @param k (B, Hkv, Tk, D), H a multiple of Hkv
     * @param v (B, Hkv, Tk, D)
     * @param bias (B, 1, Tq, Tk) additive: 0 where allowed, a large negative number where masked; null
     *     when nothing is masked (a single new token over unpadded keys)
     * @return (B, H, Tq, D)
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias) {
        Shape shape = q.getShape();
        long b = shape.get(0), h = shape.get(1), tq = shape.get(2), d = shape.get(3);
        long hkv = k.getShape().get(1), tk = k.getShape().get(2);
        long group = h / hkv;
        // Query heads that share a key/value head are grouped: (B, Hkv, G, Tq, D) against (B, Hkv, 1, Tk, D).
        // Scaling q by 1/√D instead of the scores does the same arithmetic on a tensor Tk/D times smaller.
        NDArray qs = q.mul(Scalars.constant(q, 1.0 / Math.sqrt(d)));
        if (group == 1) { // plain multi-head attention: no grouping reshapes (fewer ops per decoding step)
            NDArray scores = qs.matMul(k.swapAxes(-1, -2)); // (B, H, Tq, Tk)
            return (bias == null ? scores : scores.add(bias)).softmax(-1).matMul(v); // (B, H, Tq, D)
        }
        NDArray qg = qs.reshape(b, hkv, group, tq, d);
        NDArray kg = k.reshape(b, hkv, 1, tk, d);
        NDArray vg = v.reshape(b, hkv, 1, tk, d);
        NDArray scores = qg.matMul(kg.swapAxes(-1, -2)); // (B, Hkv, G, Tq, Tk)
        if (bias != null) scores = scores.add(bias.reshape(b, 1, 1, tq, tk));
        return scores.softmax(-1).matMul(vg).reshape(b, h, tq, d); // (B, H, Tq, D)
    }

    /**
     * (B, T, N, ...) → (B, N, T, D), D the product of the trailing axes: heads before time, as attention
     * and the KV cache want them. For one token the transpose is a no-op and is skipped.
     */
    public static NDArray headsFirst(NDArray x, long b, long t, long heads, long d) {
        return t == 1 ? x.reshape(b, heads, 1, d) : x.swapAxes(1, 2).reshape(b, heads, t, d);
    }

    /** (B, H, T, D) → (B, T, H·D). */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        if (s.get(2) == 1) return x.reshape(s.get(0), 1, s.get(1) * s.get(3));
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /** Per-token log p(target) from logits (..., V) and int64 targets (...). */
    public static NDArray tokenLogProbs(NDArray logits, NDArray targets) {
        NDArray logp = logits.logSoftmax(-1);
        return logp.gather(targets.toType(DataType.INT64, false).expandDims(-1), -1).squeeze(-1);
    }
}
