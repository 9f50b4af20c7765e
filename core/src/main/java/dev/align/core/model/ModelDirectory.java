package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model directory in Hugging Face's layout: {@code config.json}, {@code model.safetensors} (or a
 * sharded {@code model.safetensors.index.json}), {@code tokenizer.json}, {@code tokenizer_config.json}
 * and {@code generation_config.json}.
 *
 * <p>Head tensors: {@code score.weight} (1, H) is the scalar head, as in HF's
 * {@code *ForSequenceClassification} with {@code num_labels: 1}; {@code v_head.summary.weight} (1, H)
 * and {@code v_head.summary.bias} (1) are the value head, as in TRL's value-head models.
 */
public final class ModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    /** How to write a model directory. */
    public record SaveOptions(Safetensors.DType dtype) {
        public static final SaveOptions DEFAULT = new SaveOptions(Safetensors.DType.F32);
    }

    private ModelDirectory() {}

    /** Loads a model directory; any problem is a one-line {@link BadInputException}. */
    public static TransformerPolicy load(Path dir, NDManager parent) {
        if (!Files.isDirectory(dir)) {
            throw BadInputException.in(dir, Files.exists(dir) ? "not a directory" : "model directory not found");
        }
        ModelConfig config = ModelConfig.read(dir.resolve(CONFIG));
        Path genFile = dir.resolve(GENERATION_CONFIG);
        ObjectNode generation = Files.exists(genFile) ? Json.readObject(genFile) : Json.MAPPER.createObjectNode();
        List<Integer> extraEos = new ArrayList<>(ids(generation.get("eos_token_id")));
        extraEos.addAll(ids(config.raw().get("eos_token_id")));
        Tokenizer tokenizer = Tokenizer.load(dir, extraEos);
        Map<String, Safetensors.Tensor> tensors = readTensors(dir);
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> weights = toWeights(config, tensors, dir, manager);
            return new TransformerPolicy(manager, config, tokenizer, generation, weights, dir);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static Map<String, Safetensors.Tensor> readTensors(Path dir) {
        Path single = dir.resolve(WEIGHTS);
        if (Files.exists(single)) {
            return Safetensors.read(single);
        }
        Path index = dir.resolve(WEIGHTS_INDEX);
        if (!Files.exists(index)) {
            throw BadInputException.in(single, "file not found");
        }
        Set<String> shards = new LinkedHashSet<>();
        Json.readObject(index).path("weight_map").forEach(n -> shards.add(n.asText()));
        Map<String, Safetensors.Tensor> all = new LinkedHashMap<>();
        for (String shard : shards) {
            all.putAll(Safetensors.read(dir.resolve(shard)));
        }
        return all;
    }

    /** Matches checkpoint tensors to what the config requires: names, shapes, nothing missing or unknown. */
    private static Map<String, NDArray> toWeights(ModelConfig config, Map<String, Safetensors.Tensor> tensors,
            Path dir, NDManager manager) {
        Path file = dir.resolve(WEIGHTS);
        Map<String, Safetensors.Tensor> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Safetensors.Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (config.family() == ModelConfig.Family.GPT2 && !name.startsWith("transformer.")
                    && !isHead(name) && !name.equals("lm_head.weight")) {
                name = "transformer." + name; // the original gpt2 checkpoints have no prefix
            }
            if (isBuffer(name) || (name.equals("lm_head.weight") && config.tieWordEmbeddings())) {
                continue;
            }
            byName.put(name, e.getValue());
        }
        LinkedHashMap<String, long[]> expected = Decoder.shapesFor(config);
        boolean classifierExport = byName.containsKey(TransformerPolicy.SCORE_WEIGHT);
        Map<String, Safetensors.Tensor> checked = new LinkedHashMap<>(); // HF names, checkpoint order
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Safetensors.Tensor t = byName.remove(e.getKey());
            if (t == null) {
                if (e.getKey().equals("lm_head.weight") && classifierExport) {
                    continue; // a *ForSequenceClassification export carries no LM head
                }
                throw BadInputException.in(file, "missing tensor '" + e.getKey() + "' required by config.json");
            }
            checkShape(file, e.getKey(), t.shape(), e.getValue());
            checked.put(e.getKey(), t);
        }
        long h = config.hiddenSize();
        for (String head : List.of(TransformerPolicy.SCORE_WEIGHT, TransformerPolicy.VALUE_WEIGHT,
                TransformerPolicy.VALUE_BIAS)) {
            Safetensors.Tensor t = byName.remove(head);
            if (t != null) {
                checkShape(file, head, t.shape(), head.endsWith("bias") ? new long[] {1} : new long[] {1, h});
                checked.put(head, t);
            }
        }
        if (!byName.isEmpty()) {
            throw BadInputException.in(file, "unexpected tensor '" + byName.keySet().iterator().next()
                    + "' for model_type '" + config.modelType() + "'");
        }
        return toParameters(ParameterLayout.of(config).fuse(checked), manager);
    }

    /** Persistent arrays for tensors already in the parameter layout. */
    static Map<String, NDArray> toParameters(Map<String, Safetensors.Tensor> tensors, NDManager manager) {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        tensors.forEach((name, t) -> weights.put(name, Persistent.keep(manager.create(t.data(), new Shape(t.shape())))));
        return weights;
    }

    private static boolean isHead(String name) {
        return name.startsWith("score.") || name.startsWith("v_head.");
    }

    /** Non-parameter buffers some exporters include: GPT-2's causal masks, rotary inverse frequencies. */
    private static boolean isBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.endsWith("rotary_emb.inv_freq");
    }

    private static void checkShape(Path file, String name, long[] actual, long[] expected) {
        if (!Arrays.equals(actual, expected)) {
            throw BadInputException.in(file, "tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + " but config.json implies " + Arrays.toString(expected));
        }
    }

    /** Writes the directory through a temporary sibling, so a crash leaves the old one intact. */
    static void save(TransformerPolicy model, Path dir, SaveOptions options) {
        refuseInput(model, dir);
        Snapshot snapshot = Snapshot.of(model);
        AtomicFiles.writeDirectory(dir, tmp -> {
            Files.writeString(tmp.resolve(CONFIG), Json.pretty(snapshot.config()));
            try (OutputStream out = Files.newOutputStream(tmp.resolve(WEIGHTS))) {
                Safetensors.write(out, snapshot.tensors(), options.dtype(), Map.of("format", "pt"));
            }
            model.tokenizer().save(tmp);
            Files.writeString(tmp.resolve(GENERATION_CONFIG), Json.pretty(model.generationConfig()));
        });
    }

    /**
     * Writes the model files into an existing directory that holds other things too (a run directory
     * with logs and checkpoints); each file is written to a temporary name and renamed.
     */
    static void saveInto(TransformerPolicy model, Path dir, SaveOptions options) {
        refuseInput(model, dir);
        Snapshot snapshot = Snapshot.of(model);
        AtomicFiles.write(dir.resolve(WEIGHTS),
                out -> Safetensors.write(out, snapshot.tensors(), options.dtype(), Map.of("format", "pt")));
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(snapshot.config()));
        model.tokenizer().save(dir);
        AtomicFiles.writeString(dir.resolve(GENERATION_CONFIG), Json.pretty(model.generationConfig()));
    }

    /** config.json (with {@code num_labels: 1} when there is a score head) and the weights, copied out. */
    private record Snapshot(ObjectNode config, Map<String, Safetensors.Tensor> tensors) {
        static Snapshot of(TransformerPolicy model) {
            ObjectNode config = model.config().toJson();
            if (model.hasScoreHead()) { // HF's sequence-classification export: score.weight read at the last token
                config.put("num_labels", 1);
                String causal = config.path("architectures").path(0).asText();
                config.putArray("architectures").add(causal.replace("LMHeadModel", "ForSequenceClassification")
                        .replace("ForCausalLM", "ForSequenceClassification"));
            }
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
            model.parameters().forEach((k, a) -> tensors.put(k, new Safetensors.Tensor(a.getShape().getShape(), a.toFloatArray())));
            return new Snapshot(config, ParameterLayout.of(model.config()).split(tensors)); // HF names and order
        }
    }

    private static void refuseInput(TransformerPolicy model, Path dir) {
        if (model.source() != null && sameFile(model.source(), dir)) {
            throw new BadInputException(dir + ": refusing to overwrite the input model; choose another output directory");
        }
    }

    /**
     * Copies a checkpoint's weights (HF names) into a live model's parameters, fusing as on load, e.g. to
     * resume training.
     */
    public static void loadWeightsInto(PolicyModel model, Path dir) {
        Path file = dir.resolve(WEIGHTS);
        Map<String, Safetensors.Tensor> tensors = Safetensors.read(file);
        ParameterLayout layout = ParameterLayout.of(model.config());
        for (String name : model.parameters().keySet()) {
            for (String part : layout.parts(name)) {
                if (!tensors.containsKey(part)) throw BadInputException.in(file, "missing tensor '" + part + "'");
            }
        }
        Map<String, Safetensors.Tensor> fused = layout.fuse(tensors);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            Safetensors.Tensor t = fused.get(e.getKey());
            checkShape(file, String.join("|", layout.parts(e.getKey())), t.shape(), e.getValue().getShape().getShape());
            e.getValue().set(t.data());
        }
    }

    /** generation_config.json for a new model. */
    static ObjectNode generationConfig(ModelConfig config, Tokenizer tokenizer) {
        ObjectNode gen = Json.MAPPER.createObjectNode();
        if (tokenizer.bosId() != null) gen.put("bos_token_id", tokenizer.bosId());
        var eos = gen.putArray("eos_token_id");
        for (int id : tokenizer.eosIds()) eos.add(id);
        gen.put("pad_token_id", tokenizer.padId());
        gen.put("transformers_version", "4.46.0");
        return gen;
    }

    private static List<Integer> ids(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (node.isArray()) node.forEach(n -> out.add(n.asInt()));
        else if (node.isInt()) out.add(node.asInt());
        return out;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
