package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** {@link PolicyModel} over a {@link Decoder} ({@link Llama} or {@link Gpt2}) and optional heads. */
public final class TransformerPolicy implements PolicyModel {
    public static final String SCORE_WEIGHT = "score.weight";
    public static final String VALUE_WEIGHT = "v_head.summary.weight";
    public static final String VALUE_BIAS = "v_head.summary.bias";

    private final NDManager manager;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ObjectNode generationConfig;
    private final Map<String, NDArray> weights; // backbone and heads, checkpoint order
    private final Decoder decoder;
    private final Path source;
    private boolean trainable;

    TransformerPolicy(NDManager manager, ModelConfig config, Tokenizer tokenizer, ObjectNode generationConfig,
            Map<String, NDArray> weights, Path source) {
        this.manager = manager;
        this.config = config;
        this.tokenizer = tokenizer;
        this.generationConfig = generationConfig;
        this.weights = weights;
        this.decoder = Decoder.of(config, weights);
        this.source = source;
    }

    /**
     * A new model with weights drawn from N(0, 0.02) (HF's initializer_range), norms at 1 and biases
     * at 0; GPT-2's residual projections are scaled by 1/√(2·layers) as in HF.
     */
    public static TransformerPolicy initialize(NDManager parent, ModelConfig config, Tokenizer tokenizer, long seed) {
        NDManager manager = parent.newSubManager();
        Random random = new Random(seed);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(); // drawn in checkpoint order, then fused
        for (Map.Entry<String, long[]> e : Decoder.shapesFor(config).entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            float[] data = new float[(int) shape.size()];
            boolean norm = name.contains("norm") || name.contains(".ln_");
            if (norm && name.endsWith(".weight")) {
                java.util.Arrays.fill(data, 1f);
            } else if (!name.endsWith(".bias")) {
                double std = 0.02;
                if (config.family() == ModelConfig.Family.GPT2 && name.endsWith("c_proj.weight")) {
                    std /= Math.sqrt(2.0 * config.numLayers());
                }
                for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * std);
            }
            tensors.put(name, new Safetensors.Tensor(e.getValue(), data));
        }
        Map<String, NDArray> weights = ModelDirectory.toParameters(ParameterLayout.of(config).fuse(tensors), manager);
        ModelConfig withIds = config.withTokenIds(tokenizer.bosId(), tokenizer.eosIds()[0], tokenizer.padId());
        return new TransformerPolicy(manager, withIds, tokenizer, ModelDirectory.generationConfig(withIds, tokenizer),
                weights, null);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    ObjectNode generationConfig() {
        return generationConfig;
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray attentionMask) {
        Shape s = ids.getShape();
        AttentionInputs in = AttentionInputs.of(ids.getManager(), attentionMask.toType(DataType.INT64, false)
                .toLongArray(), (int) s.get(0), (int) s.get(1));
        return decoder.hidden(ids, in.positions(), in.bias(), null);
    }

    @Override
    public NDArray hidden(NDArray ids, long[] mask, KvCache cache) {
        Shape s = ids.getShape();
        AttentionInputs in = AttentionInputs.of(ids.getManager(), mask, (int) s.get(0), (int) s.get(1));
        return decoder.hidden(ids, in.positions(), in.bias(), cache);
    }

    @Override
    public NDArray logits(NDArray hidden) {
        return decoder.lmLogits(hidden);
    }

    @Override
    public boolean hasScoreHead() {
        return weights.containsKey(SCORE_WEIGHT);
    }

    @Override
    public boolean hasValueHead() {
        return weights.containsKey(VALUE_WEIGHT);
    }

    @Override
    public void addScoreHead(long seed) {
        weights.put(SCORE_WEIGHT, headWeight(seed));
    }

    @Override
    public void addValueHead(long seed) {
        weights.put(VALUE_WEIGHT, headWeight(seed));
        NDArray bias = Persistent.keep(manager.zeros(new Shape(1)));
        bias.setRequiresGradient(trainable);
        weights.put(VALUE_BIAS, bias);
    }

    private NDArray headWeight(long seed) {
        Random random = new Random(seed);
        float[] data = new float[config.hiddenSize()];
        double std = 1.0 / Math.sqrt(config.hiddenSize() + 1.0);
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * std);
        NDArray w = Persistent.keep(manager.create(data, new Shape(1, config.hiddenSize())));
        w.setRequiresGradient(trainable);
        return w;
    }

    @Override
    public NDArray scores(NDArray hidden, NDArray attentionMask) {
        NDArray w = weights.get(SCORE_WEIGHT);
        if (w == null) {
            throw new IllegalStateException("this model has no scalar (score) head");
        }
        NDArray all = Functional.linear(hidden, w, null).squeeze(-1); // (B, T)
        long[] mask = attentionMask.toType(DataType.INT64, false).toLongArray();
        int b = (int) hidden.getShape().get(0), t = (int) hidden.getShape().get(1);
        long[] last = new long[b];
        for (int r = 0; r < b; r++) {
            last[r] = 0;
            for (int j = 0; j < t; j++) if (mask[r * t + j] != 0) last[r] = j;
        }
        NDArray index = hidden.getManager().create(last, new Shape(b, 1));
        return all.gather(index, 1).squeeze(1); // (B)
    }

    @Override
    public NDArray values(NDArray hidden) {
        NDArray w = weights.get(VALUE_WEIGHT);
        if (w == null) {
            throw new IllegalStateException("this model has no value head");
        }
        return Functional.linear(hidden, w, weights.get(VALUE_BIAS)).squeeze(-1); // (B, T)
    }

    /**
     * Fused names where {@link ParameterLayout} stacks HF tensors ({@code self_attn.qkv_proj.*},
     * {@code mlp.gate_up_proj.weight} for the Llama family); HF names elsewhere. Files keep HF names.
     */
    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(weights);
    }

    @Override
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        for (NDArray w : weights.values()) {
            w.setRequiresGradient(trainable);
        }
    }

    @Override
    public PolicyModel frozenCopy() {
        NDManager copyManager = manager.getParentManager().newSubManager();
        Map<String, NDArray> copy = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            NDArray d = Persistent.keep(e.getValue().duplicate()); // grad mode is off outside training: a plain copy
            d.attach(copyManager);
            copy.put(e.getKey(), d);
        }
        return new TransformerPolicy(copyManager, config, tokenizer, generationConfig, copy, source);
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public void save(Path dir, ModelDirectory.SaveOptions options) {
        ModelDirectory.save(this, dir, options);
    }

    @Override
    public void saveInto(Path dir, ModelDirectory.SaveOptions options) {
        ModelDirectory.saveInto(this, dir, options);
    }

    @Override
    public void close() {
        manager.close();
    }
}
