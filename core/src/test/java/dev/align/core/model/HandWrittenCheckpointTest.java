package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints written byte by byte in HF naming (not with our save code), checked against logits from
 * a naive double-precision implementation of the HF equations written independently in this test.
 */
class HandWrittenCheckpointTest extends EngineTest {
    static final int V = 7;

    /** Deterministic, varied weights: w[i] = 0.5·sin(1.7·i + k). */
    static double[] values(int n, int k) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = 0.5 * Math.sin(1.7 * i + k);
        return d;
    }

    /** A safetensors file assembled by hand: u64 header size, JSON header, F32 little-endian data. */
    static void writeSafetensors(Path file, Map<String, long[]> shapes, Map<String, double[]> data) throws Exception {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (String name : shapes.keySet()) {
            long n = data.get(name).length * 4L;
            StringBuilder shape = new StringBuilder();
            for (long d : shapes.get(name)) shape.append(shape.length() == 0 ? "" : ",").append(d);
            header.append(header.length() == 1 ? "" : ",").append('"').append(name).append("\":{\"dtype\":\"F32\",\"shape\":[")
                    .append(shape).append("],\"data_offsets\":[").append(offset).append(',').append(offset + n).append("]}");
            offset += n;
        }
        header.append('}');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
        out.write(len.array());
        out.write(h);
        for (String name : shapes.keySet()) {
            ByteBuffer b = ByteBuffer.allocate(data.get(name).length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : data.get(name)) b.putFloat((float) v);
            out.write(b.array());
        }
        Files.write(file, out.toByteArray());
    }

    static void writeTokenizer(Path dir) throws Exception {
        // Any valid tokenizer.json works; the byte tokenizer's vocabulary is larger than V, which is allowed.
        Files.writeString(dir.resolve("tokenizer.json"), ByteLevelVocabulary.tokenizerJson());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
    }

    static float[] logitsOf(PolicyModel model, int[] ids) {
        NDArray[] b = TinyModels.batch(manager, List.of(ids), 0, false);
        return model.logits(b[0], b[1]).toFloatArray();
    }

    // ---- Qwen2-style Llama: 2 layers, hidden 4, 2 heads of width 2, 1 kv head, q/k/v bias, untied ----

    @Test
    void handWrittenQwen2CheckpointGivesReferenceLogits(@TempDir Path dir) throws Exception {
        int h = 4, heads = 2, kvHeads = 1, d = 2, inter = 6, layers = 2;
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 7, "hidden_size": 4,
                 "intermediate_size": 6, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                 "tie_word_embeddings": false, "hidden_act": "silu", "torch_dtype": "float32"}
                """);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {V, h});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {heads * d, h});
            shapes.put(p + "self_attn.q_proj.bias", new long[] {heads * d});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kvHeads * d, h});
            shapes.put(p + "self_attn.k_proj.bias", new long[] {kvHeads * d});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kvHeads * d, h});
            shapes.put(p + "self_attn.v_proj.bias", new long[] {kvHeads * d});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {h, heads * d});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {inter, h});
            shapes.put(p + "mlp.up_proj.weight", new long[] {inter, h});
            shapes.put(p + "mlp.down_proj.weight", new long[] {h, inter});
        }
        shapes.put("model.norm.weight", new long[] {h});
        shapes.put("lm_head.weight", new long[] {V, h});
        Map<String, double[]> w = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            int n = 1;
            for (long s : e.getValue()) n *= (int) s;
            double[] vals = values(n, k++);
            if (e.getKey().contains("norm")) for (int i = 0; i < n; i++) vals[i] = 1 + 0.3 * vals[i];
            w.put(e.getKey(), vals);
        }
        writeSafetensors(dir.resolve("model.safetensors"), shapes, w);
        writeTokenizer(dir);

        int[] ids = {3, 1, 6, 0, 2};
        double[][] expected = referenceLlama(w, ids, h, heads, kvHeads, d, inter, layers, 1e-6, 10000.0);
        try (TransformerPolicy model = ModelDirectory.load(dir, manager)) {
            float[] got = logitsOf(model, ids);
            for (int t = 0; t < ids.length; t++)
                for (int v = 0; v < V; v++) assertEquals(expected[t][v], got[t * V + v], 1e-5, "t=" + t + " v=" + v);
        }
    }

    static double[][] referenceLlama(Map<String, double[]> w, int[] ids, int h, int heads, int kvHeads, int d,
            int inter, int layers, double eps, double theta) {
        int T = ids.length;
        double[][] x = new double[T][h];
        for (int t = 0; t < T; t++) for (int i = 0; i < h; i++) x[t][i] = w.get("model.embed_tokens.weight")[ids[t] * h + i];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] a = rms(x, w.get(p + "input_layernorm.weight"), eps);
            double[][] q = lin(a, w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias"), heads * d);
            double[][] kk = lin(a, w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias"), kvHeads * d);
            double[][] vv = lin(a, w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias"), kvHeads * d);
            for (int t = 0; t < T; t++) {
                for (int hd = 0; hd < heads; hd++) rope(q[t], hd * d, d, t, theta);
                for (int hd = 0; hd < kvHeads; hd++) rope(kk[t], hd * d, d, t, theta);
            }
            double[][] o = new double[T][heads * d];
            for (int hd = 0; hd < heads; hd++) {
                int kvh = hd / (heads / kvHeads);
                for (int t = 0; t < T; t++) {
                    double[] s = new double[t + 1];
                    double max = -1e300;
                    for (int j = 0; j <= t; j++) {
                        for (int c = 0; c < d; c++) s[j] += q[t][hd * d + c] * kk[j][kvh * d + c];
                        s[j] /= Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= t; j++) z += Math.exp(s[j] - max);
                    for (int j = 0; j <= t; j++)
                        for (int c = 0; c < d; c++) o[t][hd * d + c] += Math.exp(s[j] - max) / z * vv[j][kvh * d + c];
                }
            }
            add(x, lin(o, w.get(p + "self_attn.o_proj.weight"), null, h));
            double[][] m = rms(x, w.get(p + "post_attention_layernorm.weight"), eps);
            double[][] g = lin(m, w.get(p + "mlp.gate_proj.weight"), null, inter);
            double[][] u = lin(m, w.get(p + "mlp.up_proj.weight"), null, inter);
            for (int t = 0; t < T; t++) for (int i = 0; i < inter; i++) g[t][i] = g[t][i] / (1 + Math.exp(-g[t][i])) * u[t][i];
            add(x, lin(g, w.get(p + "mlp.down_proj.weight"), null, h));
        }
        return lin(rms(x, w.get("model.norm.weight"), eps), w.get("lm_head.weight"), null, V);
    }

    /** HF rotate_half RoPE on one head's slice [off, off+d). */
    static void rope(double[] v, int off, int d, int pos, double theta) {
        double[] out = new double[d];
        for (int i = 0; i < d; i++) {
            int f = i % (d / 2);
            double angle = pos / Math.pow(theta, 2.0 * f / d);
            double rotated = i < d / 2 ? -v[off + i + d / 2] : v[off + i - d / 2];
            out[i] = v[off + i] * Math.cos(angle) + rotated * Math.sin(angle);
        }
        System.arraycopy(out, 0, v, off, d);
    }

    static double[][] rms(double[][] x, double[] g, double eps) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) ms += v * v / x[t].length;
            for (int i = 0; i < x[t].length; i++) y[t][i] = x[t][i] / Math.sqrt(ms + eps) * g[i];
        }
        return y;
    }

    /** y = x·Wᵀ + b with W stored (out, in). */
    static double[][] lin(double[][] x, double[] wgt, double[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[t][i] * wgt[o * in + i];
                y[t][o] = s;
            }
        return y;
    }

    static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) for (int i = 0; i < x[t].length; i++) x[t][i] += y[t][i];
    }

    // ---- GPT-2 as in the original checkpoints: no "transformer." prefix, causal-mask buffers present ----

    @Test
    void handWrittenGpt2CheckpointGivesReferenceLogits(@TempDir Path dir) throws Exception {
        int h = 4, heads = 2, d = 2, inner = 16, positions = 8;
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 7, "n_embd": 4,
                 "n_layer": 1, "n_head": 2, "n_positions": 8, "n_ctx": 8, "layer_norm_epsilon": 1e-5,
                 "activation_function": "gelu_new"}
                """);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("wte.weight", new long[] {V, h});
        shapes.put("wpe.weight", new long[] {positions, h});
        shapes.put("h.0.ln_1.weight", new long[] {h});
        shapes.put("h.0.ln_1.bias", new long[] {h});
        shapes.put("h.0.attn.bias", new long[] {1, 1, positions, positions});
        shapes.put("h.0.attn.c_attn.weight", new long[] {h, 3 * h});
        shapes.put("h.0.attn.c_attn.bias", new long[] {3 * h});
        shapes.put("h.0.attn.c_proj.weight", new long[] {h, h});
        shapes.put("h.0.attn.c_proj.bias", new long[] {h});
        shapes.put("h.0.ln_2.weight", new long[] {h});
        shapes.put("h.0.ln_2.bias", new long[] {h});
        shapes.put("h.0.mlp.c_fc.weight", new long[] {h, inner});
        shapes.put("h.0.mlp.c_fc.bias", new long[] {inner});
        shapes.put("h.0.mlp.c_proj.weight", new long[] {inner, h});
        shapes.put("h.0.mlp.c_proj.bias", new long[] {h});
        shapes.put("ln_f.weight", new long[] {h});
        shapes.put("ln_f.bias", new long[] {h});
        Map<String, double[]> w = new LinkedHashMap<>();
        int k = 100;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            int n = 1;
            for (long s : e.getValue()) n *= (int) s;
            double[] vals = values(n, k++);
            if (e.getKey().contains("ln_") && e.getKey().endsWith("weight")) for (int i = 0; i < n; i++) vals[i] += 1;
            w.put(e.getKey(), vals);
        }
        writeSafetensors(dir.resolve("model.safetensors"), shapes, w);
        writeTokenizer(dir);

        int[] ids = {2, 5, 5, 0, 6, 1};
        int T = ids.length;
        double[][] x = new double[T][h];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < h; i++) x[t][i] = w.get("wte.weight")[ids[t] * h + i] + w.get("wpe.weight")[t * h + i];
        double[][] qkv = conv(ln(x, w.get("h.0.ln_1.weight"), w.get("h.0.ln_1.bias")), w.get("h.0.attn.c_attn.weight"),
                w.get("h.0.attn.c_attn.bias"), 3 * h);
        double[][] o = new double[T][h];
        for (int hd = 0; hd < heads; hd++)
            for (int t = 0; t < T; t++) {
                double[] s = new double[t + 1];
                double z = 0;
                for (int j = 0; j <= t; j++) {
                    for (int c = 0; c < d; c++) s[j] += qkv[t][hd * d + c] * qkv[j][h + hd * d + c];
                    s[j] = Math.exp(s[j] / Math.sqrt(d));
                    z += s[j];
                }
                for (int j = 0; j <= t; j++) for (int c = 0; c < d; c++) o[t][hd * d + c] += s[j] / z * qkv[j][2 * h + hd * d + c];
            }
        add(x, conv(o, w.get("h.0.attn.c_proj.weight"), w.get("h.0.attn.c_proj.bias"), h));
        double[][] f = conv(ln(x, w.get("h.0.ln_2.weight"), w.get("h.0.ln_2.bias")), w.get("h.0.mlp.c_fc.weight"),
                w.get("h.0.mlp.c_fc.bias"), inner);
        for (double[] row : f)
            for (int i = 0; i < inner; i++)
                row[i] = 0.5 * row[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (row[i] + 0.044715 * Math.pow(row[i], 3))));
        add(x, conv(f, w.get("h.0.mlp.c_proj.weight"), w.get("h.0.mlp.c_proj.bias"), h));
        double[][] expected = lin(ln(x, w.get("ln_f.weight"), w.get("ln_f.bias")), w.get("wte.weight"), null, V);

        try (TransformerPolicy model = ModelDirectory.load(dir, manager)) {
            float[] got = logitsOf(model, ids);
            for (int t = 0; t < T; t++)
                for (int v = 0; v < V; v++) assertEquals(expected[t][v], got[t * V + v], 1e-5, "t=" + t + " v=" + v);
        }
    }

    static double[][] ln(double[][] x, double[] g, double[] b) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v / x[t].length;
            for (double v : x[t]) var += (v - mean) * (v - mean) / x[t].length;
            for (int i = 0; i < x[t].length; i++) y[t][i] = (x[t][i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
        }
        return y;
    }

    /** y = x·W + b with Conv1D's W stored (in, out). */
    static double[][] conv(double[][] x, double[] wgt, double[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) s += x[t][i] * wgt[i * out + o];
                y[t][o] = s;
            }
        return y;
    }
}
