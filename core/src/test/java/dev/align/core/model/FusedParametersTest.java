package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import dev.align.core.GradientCheck;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.train.CausalLmLoss;
import dev.align.core.train.Objective;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama's q/k/v and gate/up projections are single stacked parameters in memory, HF tensors on disk: the
 * files, the logits and the gradients must be those of the unfused model.
 */
class FusedParametersTest extends EngineTest {

    private static List<TransformerPolicy> llamaFamily(long seed) {
        return List.of(TinyModels.llama(manager, seed), TinyModels.qwen2(manager, seed)); // GQA; Qwen2 adds q/k/v bias
    }

    private static float[] concat(Map<String, Safetensors.Tensor> file, String... names) {
        List<Float> all = new ArrayList<>();
        for (String n : names) for (float f : file.get(n).data()) all.add(f);
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }

    @Test
    void parametersAreStackedWhileSavedFilesKeepHfNamesShapesAndOrder(@TempDir Path tmp) {
        for (TransformerPolicy model : llamaFamily(7)) {
            try (model) {
                ModelConfig c = model.config();
                Map<String, NDArray> params = model.parameters();
                String l1 = "model.layers.1.";
                long h = c.hiddenSize(), qkvRows = (long) (c.numHeads() + 2 * c.numKvHeads()) * c.headDim();
                assertArrayEquals(new long[] {qkvRows, h}, params.get(l1 + "self_attn.qkv_proj.weight").getShape().getShape());
                assertArrayEquals(new long[] {2L * c.intermediateSize(), h},
                        params.get(l1 + "mlp.gate_up_proj.weight").getShape().getShape());
                assertEquals(c.attentionBias(), params.containsKey(l1 + "self_attn.qkv_proj.bias"));
                for (String hf : List.of("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                        "self_attn.q_proj.bias", "mlp.gate_proj.weight", "mlp.up_proj.weight")) {
                    assertNull(params.get(l1 + hf), hf + " lives inside a stacked parameter");
                }

                Path dir = tmp.resolve(c.modelType());
                model.save(dir, ModelDirectory.SaveOptions.DEFAULT);
                Map<String, Safetensors.Tensor> file = Safetensors.read(dir.resolve(ModelDirectory.WEIGHTS));
                LinkedHashMap<String, long[]> hf = Decoder.shapesFor(c);
                assertEquals(new ArrayList<>(hf.keySet()), new ArrayList<>(file.keySet()), "HF names in HF order");
                hf.forEach((name, shape) -> assertArrayEquals(shape, file.get(name).shape(), name));

                String a = l1 + "self_attn.";
                assertArrayEquals(concat(file, a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"),
                        params.get(a + "qkv_proj.weight").toFloatArray(), "rows of q, then k, then v");
                assertArrayEquals(concat(file, l1 + "mlp.gate_proj.weight", l1 + "mlp.up_proj.weight"),
                        params.get(l1 + "mlp.gate_up_proj.weight").toFloatArray(), "rows of gate, then up");
                if (c.attentionBias()) {
                    assertArrayEquals(concat(file, a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias"),
                            params.get(a + "qkv_proj.bias").toFloatArray());
                }

                try (TransformerPolicy loaded = ModelDirectory.load(dir, manager)) {
                    assertEquals(new ArrayList<>(params.keySet()), new ArrayList<>(loaded.parameters().keySet()));
                    params.forEach((name, p) -> assertArrayEquals(p.toFloatArray(),
                            loaded.parameters().get(name).toFloatArray(), name + " survives save and load bit for bit"));
                }
            }
        }
    }

    @Test
    void layoutSplitsExactlyWhatItFusesAndRefusesPartialGroups() {
        ModelConfig c;
        try (TransformerPolicy qwen2 = TinyModels.qwen2(manager, 1)) {
            c = qwen2.config();
        }
        ParameterLayout layout = ParameterLayout.of(c);
        Map<String, Safetensors.Tensor> hf = new LinkedHashMap<>();
        int k = 0;
        for (Map.Entry<String, long[]> e : Decoder.shapesFor(c).entrySet()) {
            float[] data = new float[(int) Arrays.stream(e.getValue()).reduce(1, (x, y) -> x * y)];
            for (int i = 0; i < data.length; i++) data[i] = k++;
            hf.put(e.getKey(), new Safetensors.Tensor(e.getValue(), data));
        }
        Map<String, Safetensors.Tensor> back = layout.split(layout.fuse(hf));
        assertEquals(new ArrayList<>(hf.keySet()), new ArrayList<>(back.keySet()));
        hf.forEach((name, t) -> {
            assertArrayEquals(t.shape(), back.get(name).shape(), name);
            assertArrayEquals(t.data(), back.get(name).data(), name);
        });
        assertEquals(List.of("model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight"),
                layout.parts("model.layers.0.mlp.gate_up_proj.weight"));
        assertEquals(List.of("model.norm.weight"), layout.parts("model.norm.weight"));

        hf.remove("model.layers.1.self_attn.k_proj.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.fuse(hf));
        assertEquals("tensor 'model.layers.1.self_attn.k_proj.weight' is missing but "
                + "model.layers.1.self_attn.qkv_proj.weight needs it", e.getMessage());
    }

    @Test
    void logitsEqualTheUnfusedHfComputationOnAPaddedBatch(@TempDir Path tmp) {
        List<int[]> rows = List.of(ByteLevelVocabulary.bytesOf("Grüße, world."), ByteLevelVocabulary.bytesOf("Hi"));
        for (TransformerPolicy model : llamaFamily(11)) {
            try (model) {
                Path dir = tmp.resolve(model.config().modelType());
                model.save(dir, ModelDirectory.SaveOptions.DEFAULT);
                Map<String, NDArray> hf = new LinkedHashMap<>();
                Safetensors.read(dir.resolve(ModelDirectory.WEIGHTS))
                        .forEach((n, t) -> hf.put(n, manager.create(t.data(), new Shape(t.shape()))));
                NDArray[] batch = TinyModels.batch(manager, rows, model.tokenizer().padId(), true);
                float[] expected = unfusedLogits(model.config(), hf, batch[0], batch[1]).toFloatArray();
                float[] got = model.logits(batch[0], batch[1]).toFloatArray();
                long[] mask = batch[1].toLongArray();
                int vocab = model.config().vocabSize();
                for (int i = 0; i < got.length; i++) {
                    if (mask[i / vocab] == 0) continue; // padding positions carry no meaning
                    // measured: ≤ 1.2e-7 (an ulp of logits up to 0.74); a sign error in RoPE moves them by 5e-5
                    assertEquals(expected[i], got[i], 1e-6, model.config().modelType() + " logit " + i);
                }
            }
        }
    }

    /**
     * HF's LlamaForCausalLM written out with separate q/k/v and gate/up matmuls, cos/sin on the host in
     * double precision and rotate_half as slicing and concatenation.
     */
    private static NDArray unfusedLogits(ModelConfig c, Map<String, NDArray> w, NDArray ids, NDArray mask) {
        NDManager m = ids.getManager();
        int b = (int) ids.getShape().get(0), t = (int) ids.getShape().get(1), d = c.headDim(), half = d / 2;
        AttentionInputs in = AttentionInputs.of(m, mask.toLongArray(), b, t);
        long[] pos = in.positions().toLongArray();
        float[] cos = new float[b * t * d], sin = new float[b * t * d];
        for (int r = 0; r < b * t; r++) {
            for (int i = 0; i < d; i++) {
                double angle = pos[r] / Math.pow(c.ropeTheta(), 2.0 * (i % half) / d);
                cos[r * d + i] = (float) Math.cos(angle);
                sin[r * d + i] = (float) Math.sin(angle);
            }
        }
        NDArray cosA = m.create(cos, new Shape(b, 1, t, d)), sinA = m.create(sin, new Shape(b, 1, t, d));
        NDArray x = Functional.embedding(ids, w.get("model.embed_tokens.weight"));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".", a = p + "self_attn.";
            NDArray n1 = Functional.rmsNorm(x, w.get(p + "input_layernorm.weight"), c.normEps());
            NDArray q = heads(Functional.linear(n1, w.get(a + "q_proj.weight"), w.get(a + "q_proj.bias")), c.numHeads());
            NDArray k = heads(Functional.linear(n1, w.get(a + "k_proj.weight"), w.get(a + "k_proj.bias")), c.numKvHeads());
            NDArray v = heads(Functional.linear(n1, w.get(a + "v_proj.weight"), w.get(a + "v_proj.bias")), c.numKvHeads());
            q = q.mul(cosA).add(rotateHalf(q, half).mul(sinA));
            k = k.mul(cosA).add(rotateHalf(k, half).mul(sinA));
            NDArray o = Functional.mergeHeads(Functional.attention(q, k, v, in.bias()));
            x = x.add(Functional.linear(o, w.get(a + "o_proj.weight"), null));
            NDArray n2 = Functional.rmsNorm(x, w.get(p + "post_attention_layernorm.weight"), c.normEps());
            NDArray gate = Functional.silu(Functional.linear(n2, w.get(p + "mlp.gate_proj.weight"), null));
            NDArray up = Functional.linear(n2, w.get(p + "mlp.up_proj.weight"), null);
            x = x.add(Functional.linear(gate.mul(up), w.get(p + "mlp.down_proj.weight"), null));
        }
        NDArray head = w.get(c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
        return Functional.linear(Functional.rmsNorm(x, w.get("model.norm.weight"), c.normEps()), head, null);
    }

    /** (B, T, H·D) → (B, H, T, D). */
    private static NDArray heads(NDArray x, int heads) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    /** HF's rotate_half: (x1, x2) → (−x2, x1). */
    private static NDArray rotateHalf(NDArray x, int half) {
        return x.get(":, :, :, " + half + ":").neg().concat(x.get(":, :, :, :" + half), -1);
    }

    @Test
    void gradientsOfStackedParametersMatchFiniteDifferences() {
        List<int[]> rows = List.of(ByteLevelVocabulary.bytesOf("two plus two"), ByteLevelVocabulary.bytesOf("is four"));
        for (TransformerPolicy model : llamaFamily(13)) {
            try (model) {
                NDArray[] batch = TinyModels.batch(manager, rows, model.tokenizer().padId(), false);
                GradientCheck.check(model, m -> CausalLmLoss.mean(m, batch[0], batch[1], null), 3, 1e-3, 1e-2, 17);
            }
        }
    }

    /** Next-token loss over a few fixed sentences. */
    private static Objective sentences() {
        List<int[]> rows = new ArrayList<>();
        for (String s : List.of("the cat sat.", "a dog ran.", "two is even.", "nine is odd.")) {
            rows.add(ByteLevelVocabulary.bytesOf(s));
        }
        return new Objective() {
            @Override
            public int size() {
                return rows.size();
            }

            @Override
            public Step loss(PolicyModel model, int[] examples) {
                List<int[]> picked = new ArrayList<>();
                for (int e : examples) picked.add(rows.get(e));
                NDArray[] batch = TinyModels.batch(manager, picked, model.tokenizer().padId(), false);
                return new Step(CausalLmLoss.mean(model, batch[0], batch[1], null), Map.of(),
                        Arrays.stream(batch[1].toLongArray()).sum());
            }

            @Override
            public Map<String, Double> evaluate(PolicyModel model) {
                return Map.of();
            }
        };
    }

    private static void train(Path out, boolean resume, Progress.Factory progress) {
        TrainingConfig config = TrainingConfig.DEFAULTS.with(Map.ofEntries(Map.entry("learning_rate", 1e-2),
                Map.entry("max_steps", 4), Map.entry("per_device_train_batch_size", 2), Map.entry("warmup_steps", 0),
                Map.entry("logging_steps", 1), Map.entry("save_steps", 2), Map.entry("seed", 3),
                Map.entry("full_determinism", true)), "test");
        try (TransformerPolicy model = TinyModels.qwen2(manager, 5)) {
            new Trainer("test", model, sentences(), config, out, config.asMap(), progress).train(resume);
        }
    }

    private static List<Object> losses(Path run) throws Exception {
        List<Object> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(Trainer.METRICS))) out.add(Json.MAPPER.readTree(line).get("loss"));
        return out;
    }

    @Test
    void trainingCheckpointsHfTensorsAndResumesBitForBit(@TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight"), killed = tmp.resolve("killed");
        train(straight, false, Progress.Factory.NONE);
        Progress.Factory killAt3 = (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tokensPerSecond) {
                if (step == 3) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
        assertThrows(IllegalStateException.class, () -> train(killed, false, killAt3));

        Path checkpoint = killed.resolve("checkpoint-2");
        List<String> hf;
        try (TransformerPolicy qwen2 = TinyModels.qwen2(manager, 5)) {
            hf = new ArrayList<>(Decoder.shapesFor(qwen2.config()).keySet());
        }
        assertEquals(hf, new ArrayList<>(Safetensors.read(checkpoint.resolve(ModelDirectory.WEIGHTS)).keySet()));
        Map<String, Safetensors.Tensor> moments = Safetensors.read(checkpoint.resolve(Trainer.OPTIMIZER));
        assertTrue(moments.containsKey("exp_avg.model.layers.0.self_attn.q_proj.bias"), moments.keySet().toString());
        assertTrue(moments.containsKey("exp_avg_sq.model.layers.1.mlp.up_proj.weight"), moments.keySet().toString());
        assertFalse(moments.keySet().stream().anyMatch(n -> n.contains("qkv_proj") || n.contains("gate_up_proj")));

        train(killed, true, Progress.Factory.NONE);
        assertEquals(losses(straight), losses(killed));
        assertEquals(4, losses(straight).size());
        Map<String, Safetensors.Tensor> a = Safetensors.read(straight.resolve(ModelDirectory.WEIGHTS));
        Map<String, Safetensors.Tensor> b = Safetensors.read(killed.resolve(ModelDirectory.WEIGHTS));
        assertEquals(a.keySet(), b.keySet());
        a.forEach((name, t) -> assertArrayEquals(t.data(), b.get(name).data(), name + " after resuming"));
    }
}
