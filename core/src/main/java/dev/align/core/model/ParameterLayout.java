package dev.align.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a model's parameters map onto the tensors of a Hugging Face checkpoint. Files always hold HF's
 * names and shapes; in memory, tensors that read the same input are stacked along axis 0 into one
 * parameter, so one matmul (one JNI call) does the work of several:
 *
 * <pre>
 *   self_attn.qkv_proj.weight  = [q_proj; k_proj; v_proj].weight   (Hq·D + 2·Hkv·D, H)    Llama family
 *   self_attn.qkv_proj.bias    = [q_proj; k_proj; v_proj].bias     (Hq·D + 2·Hkv·D)       Qwen2
 *   mlp.gate_up_proj.weight    = [gate_proj; up_proj].weight       (2·I, H)
 * </pre>
 *
 * Stacking along axis 0 of row-major tensors is concatenation of their data, so {@link #fuse} (on load)
 * and {@link #split} (on save) are exact inverses. Tensors outside the layout (heads) pass through.
 */
public final class ParameterLayout {
    private final Map<String, List<String>> parts; // fused parameter → checkpoint tensors, stacked in this order
    private final Map<String, String> fusedOf; // checkpoint tensor → the fused parameter holding it
    private final Map<String, long[]> checkpointShapes;

    private ParameterLayout(Map<String, List<String>> parts, Map<String, long[]> checkpointShapes) {
        this.parts = parts;
        this.checkpointShapes = checkpointShapes;
        this.fusedOf = new LinkedHashMap<>();
        parts.forEach((fused, list) -> list.forEach(part -> fusedOf.put(part, fused)));
    }

    public static ParameterLayout of(ModelConfig config) {
        return new ParameterLayout(Decoder.fusionsFor(config), Decoder.shapesFor(config));
    }

    /** The checkpoint tensors a parameter is made of: several for a fused one, else the name itself. */
    public List<String> parts(String parameter) {
        return parts.getOrDefault(parameter, List.of(parameter));
    }

    /**
     * Checkpoint tensors (HF names) → parameters: each fused group is concatenated along axis 0 and
     * takes the place of its first member; other tensors keep their names and order.
     *
     * @throws IllegalArgumentException when only some members of a group are present
     */
    public Map<String, Safetensors.Tensor> fuse(Map<String, Safetensors.Tensor> checkpoint) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        Set<String> done = new HashSet<>();
        for (Map.Entry<String, Safetensors.Tensor> e : checkpoint.entrySet()) {
            String fused = fusedOf.get(e.getKey());
            if (fused == null) {
                out.put(e.getKey(), e.getValue());
            } else if (done.add(fused)) {
                out.put(fused, concatenate(fused, checkpoint));
            }
        }
        return out;
    }

    /** Parameters → checkpoint tensors (HF names, HF order): the inverse of {@link #fuse}. */
    public Map<String, Safetensors.Tensor> split(Map<String, Safetensors.Tensor> parameters) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Safetensors.Tensor> e : parameters.entrySet()) {
            List<String> members = parts.get(e.getKey());
            if (members == null) {
                out.put(e.getKey(), e.getValue());
                continue;
            }
            Safetensors.Tensor t = e.getValue();
            long rowSize = t.size() / t.shape()[0];
            int from = 0;
            for (String part : members) {
                long[] shape = t.shape().clone();
                shape[0] = checkpointShapes.get(part)[0];
                int to = from + (int) (shape[0] * rowSize);
                out.put(part, new Safetensors.Tensor(shape, Arrays.copyOfRange(t.data(), from, to)));
                from = to;
            }
            if (from != t.data().length) {
                throw new IllegalArgumentException(e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", not the rows of " + members);
            }
        }
        return out;
    }

    private Safetensors.Tensor concatenate(String fused, Map<String, Safetensors.Tensor> checkpoint) {
        List<Safetensors.Tensor> members = new ArrayList<>();
        for (String part : parts.get(fused)) {
            Safetensors.Tensor t = checkpoint.get(part);
            if (t == null) {
                throw new IllegalArgumentException("tensor '" + part + "' is missing but " + fused + " needs it");
            }
            members.add(t);
        }
        long[] shape = members.get(0).shape().clone();
        shape[0] = 0;
        int size = 0;
        for (Safetensors.Tensor t : members) {
            if (!Arrays.equals(Arrays.copyOfRange(t.shape(), 1, t.shape().length),
                    Arrays.copyOfRange(shape, 1, shape.length))) {
                throw new IllegalArgumentException("the parts of " + fused + " differ in shape beyond axis 0");
            }
            shape[0] += t.shape()[0];
            size += t.data().length;
        }
        float[] data = new float[size];
        int at = 0;
        for (Safetensors.Tensor t : members) {
            System.arraycopy(t.data(), 0, data, at, t.data().length);
            at += t.data().length;
        }
        return new Safetensors.Tensor(shape, data);
    }
}
