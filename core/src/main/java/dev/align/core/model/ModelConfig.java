package dev.align.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import java.nio.file.Path;
import java.util.List;

/**
 * A decoder's hyper-parameters, read from and written to Hugging Face's {@code config.json} with HF
 * field names. Unknown fields are kept in {@link #raw} and written back unchanged.
 *
 * @param modelType {@code llama}, {@code qwen2}, {@code mistral} or {@code gpt2}
 * @param headDim per-head width; HF's {@code head_dim}, else hidden / heads
 * @param attentionBias q/k/v projections carry a bias (always for qwen2 and gpt2)
 * @param ropeScaling Llama 3 style {@code rope_scaling}, or null
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        double normEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        String hiddenAct,
        ObjectNode raw) {

    /** The two families of decoder this project implements. */
    public enum Family { LLAMA, GPT2 }

    /** Llama 3's frequency-dependent RoPE scaling ({@code rope_type: llama3}). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

    public static final List<String> LLAMA_TYPES = List.of("llama", "qwen2", "mistral");

    public ModelConfig {
        if (hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || vocabSize <= 0) {
            throw new BadInputException("config: sizes must be positive");
        }
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new BadInputException("config: num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0 && !"gpt2".equals(modelType)) {
            throw new BadInputException("config: head_dim must be even for rotary embeddings, got " + headDim);
        }
    }

    public Family family() {
        return "gpt2".equals(modelType) ? Family.GPT2 : Family.LLAMA;
    }

    /** A small Llama-family config; other fields take HF's Llama defaults. */
    public static ModelConfig llama(String modelType, int vocab, int hidden, int layers, int heads, int kvHeads,
            int intermediate, int maxPositions, boolean tie) {
        return new ModelConfig(modelType, vocab, hidden, layers, heads, kvHeads, hidden / heads, intermediate,
                maxPositions, 1e-6, 10000.0, null, tie, "qwen2".equals(modelType), "silu",
                Json.MAPPER.createObjectNode());
    }

    /** A small GPT-2 config. */
    public static ModelConfig gpt2(int vocab, int hidden, int layers, int heads, int maxPositions) {
        return new ModelConfig("gpt2", vocab, hidden, layers, heads, heads, hidden / heads, 4 * hidden,
                maxPositions, 1e-5, 0, null, true, true, "gelu_new", Json.MAPPER.createObjectNode());
    }

    public static ModelConfig read(Path file) {
        return fromJson(Json.readObject(file), file);
    }

    public static ModelConfig fromJson(ObjectNode json, Path file) {
        String type = text(json, "model_type", file);
        return switch (type) {
            case "gpt2" -> {
                int hidden = integer(json, "n_embd", file);
                int heads = integer(json, "n_head", file);
                JsonNode inner = json.get("n_inner");
                String act = json.path("activation_function").asText("gelu_new");
                if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
                    throw BadInputException.in(file, "field 'activation_function': unsupported value '" + act + "'");
                }
                yield new ModelConfig(type, integer(json, "vocab_size", file), hidden,
                        integer(json, "n_layer", file), heads, heads, hidden / heads,
                        inner == null || inner.isNull() ? 4 * hidden : inner.asInt(),
                        integer(json, "n_positions", file),
                        json.path("layer_norm_epsilon").asDouble(1e-5), 0, null, true, true, act, json);
            }
            case "llama", "qwen2", "mistral" -> {
                int hidden = integer(json, "hidden_size", file);
                int heads = integer(json, "num_attention_heads", file);
                JsonNode kv = json.get("num_key_value_heads");
                JsonNode headDim = json.get("head_dim");
                String act = json.path("hidden_act").asText("silu");
                if (!act.equals("silu")) {
                    throw BadInputException.in(file, "field 'hidden_act': unsupported value '" + act + "'");
                }
                if (type.equals("mistral") && json.hasNonNull("sliding_window")
                        && json.get("sliding_window").asInt() < integer(json, "max_position_embeddings", file)) {
                    throw BadInputException.in(file, "field 'sliding_window': sliding-window attention is not supported");
                }
                boolean bias = type.equals("qwen2") || json.path("attention_bias").asBoolean(false);
                yield new ModelConfig(type, integer(json, "vocab_size", file), hidden,
                        integer(json, "num_hidden_layers", file), heads,
                        kv == null || kv.isNull() ? heads : kv.asInt(),
                        headDim == null || headDim.isNull() ? hidden / heads : headDim.asInt(),
                        integer(json, "intermediate_size", file),
                        json.path("max_position_embeddings").asInt(2048),
                        json.path("rms_norm_eps").asDouble(1e-6), json.path("rope_theta").asDouble(10000.0),
                        ropeScaling(json.get("rope_scaling"), file),
                        json.path("tie_word_embeddings").asBoolean(false),
                        bias, act, json);
            }
            default -> throw BadInputException.in(file, "field 'model_type': unknown model_type '" + type
                    + "' (supported: llama, qwen2, mistral, gpt2)");
        };
    }

    private static RopeScaling ropeScaling(JsonNode node, Path file) {
        if (node == null || node.isNull()) {
            return null;
        }
        String kind = node.path("rope_type").asText(node.path("type").asText(""));
        if (!kind.equals("llama3")) {
            throw BadInputException.in(file, "field 'rope_scaling': unsupported rope_type '" + kind + "' (supported: llama3)");
        }
        return new RopeScaling(node.path("factor").asDouble(8.0), node.path("low_freq_factor").asDouble(1.0),
                node.path("high_freq_factor").asDouble(4.0),
                node.path("original_max_position_embeddings").asInt(8192));
    }

    /** HF's config.json for this model, keeping every field we did not interpret. */
    public ObjectNode toJson() {
        ObjectNode out = raw.deepCopy();
        out.put("model_type", modelType);
        out.put("vocab_size", vocabSize);
        if (family() == Family.GPT2) {
            out.putArray("architectures").add("GPT2LMHeadModel");
            out.put("n_embd", hiddenSize);
            out.put("n_layer", numLayers);
            out.put("n_head", numHeads);
            out.put("n_positions", maxPositions);
            out.put("n_ctx", maxPositions);
            if (intermediateSize != 4 * hiddenSize) {
                out.put("n_inner", intermediateSize);
            } else if (!out.has("n_inner")) {
                out.putNull("n_inner");
            }
            out.put("layer_norm_epsilon", normEps);
            out.put("activation_function", hiddenAct);
            out.put("tie_word_embeddings", true);
        } else {
            String arch = switch (modelType) {
                case "qwen2" -> "Qwen2ForCausalLM";
                case "mistral" -> "MistralForCausalLM";
                default -> "LlamaForCausalLM";
            };
            out.putArray("architectures").add(arch);
            out.put("hidden_size", hiddenSize);
            out.put("num_hidden_layers", numLayers);
            out.put("num_attention_heads", numHeads);
            out.put("num_key_value_heads", numKvHeads);
            out.put("head_dim", headDim);
            out.put("intermediate_size", intermediateSize);
            out.put("max_position_embeddings", maxPositions);
            out.put("rms_norm_eps", normEps);
            out.put("rope_theta", ropeTheta);
            if (ropeScaling == null) {
                out.putNull("rope_scaling");
            }
            out.put("tie_word_embeddings", tieWordEmbeddings);
            out.put("hidden_act", hiddenAct);
            if (!modelType.equals("qwen2")) {
                out.put("attention_bias", attentionBias);
            }
        }
        if (!out.has("torch_dtype")) {
            out.put("torch_dtype", "float32");
        }
        return out;
    }

    /** Same config with other special token ids recorded (bos/eos/pad), as HF's config.json holds them. */
    public ModelConfig withTokenIds(Integer bos, Integer eos, Integer pad) {
        ObjectNode copy = raw.deepCopy();
        if (bos != null) copy.put("bos_token_id", bos);
        if (eos != null) copy.put("eos_token_id", eos);
        if (pad != null) copy.put("pad_token_id", pad);
        return new ModelConfig(modelType, vocabSize, hiddenSize, numLayers, numHeads, numKvHeads, headDim,
                intermediateSize, maxPositions, normEps, ropeTheta, ropeScaling, tieWordEmbeddings, attentionBias,
                hiddenAct, copy);
    }

    private static String text(ObjectNode json, String field, Path file) {
        JsonNode n = json.get(field);
        if (n == null || !n.isTextual()) {
            throw BadInputException.in(file, "field '" + field + "': missing or not a string");
        }
        return n.asText();
    }

    private static int integer(ObjectNode json, String field, Path file) {
        JsonNode n = json.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
            throw BadInputException.in(file, "field '" + field + "': missing or not an integer");
        }
        return n.asInt();
    }
}
