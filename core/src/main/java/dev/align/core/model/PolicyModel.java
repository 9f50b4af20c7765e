package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model every method trains: a decoder-only language model with an optional scalar head (reward
 * model) and an optional value head (PPO critic) on the same backbone.
 *
 * <p>Token ids are (B, T) int64 arrays; an attention mask is (B, T) with 1 for real tokens and 0 for
 * padding on either side. Results at real tokens do not depend on padding, batch size or batch
 * position. Per-token log-probs of given tokens come from {@link dev.align.core.logprob.LogProbs}.
 */
public interface PolicyModel extends AutoCloseable {

    ModelConfig config();

    Tokenizer tokenizer();

    /** The manager that owns the weights. */
    NDManager manager();

    /** Final hidden states (B, T, H): one backbone pass that heads and logits share. */
    NDArray hidden(NDArray ids, NDArray attentionMask);

    /**
     * One incremental pass for decoding (see {@code dev.align.core.rollout.RolloutEngine}): {@code ids}
     * (B, Tnew) are the tokens after the {@code cache}'s, {@code mask} (B·(Tpast+Tnew), row-major) covers
     * cached plus new tokens; a null cache means no past.
     */
    NDArray hidden(NDArray ids, long[] mask, KvCache cache);

    /** (B, T, H) → (B, T, V). */
    NDArray logits(NDArray hidden);

    /** Logits (B, T, V) for token ids. */
    default NDArray logits(NDArray ids, NDArray attentionMask) {
        return logits(hidden(ids, attentionMask));
    }

    boolean hasScoreHead();

    boolean hasValueHead();

    /** Adds a freshly initialised scalar head ({@code score.weight}, (1, H)). */
    void addScoreHead(long seed);

    /** Adds a freshly initialised value head ({@code v_head.summary.weight/bias}). */
    void addValueHead(long seed);

    /** Scalar head read at each row's last real token: (B). */
    NDArray scores(NDArray hidden, NDArray attentionMask);

    /** Value head at every position: (B, T). */
    NDArray values(NDArray hidden);

    /**
     * Every trainable tensor, backbone and heads, by name: HF's checkpoint names, except where tensors
     * reading the same input are stacked into one ({@link ParameterLayout}: Llama's
     * {@code self_attn.qkv_proj.weight|bias} and {@code mlp.gate_up_proj.weight}). Files hold HF names.
     */
    Map<String, NDArray> parameters();

    /** Turns gradient recording on or off for every parameter. */
    void setTrainable(boolean trainable);

    /** An independent frozen copy (the reference model): same weights, no gradients. */
    PolicyModel frozenCopy();

    /** Where the model was loaded from, or null for a new one. */
    Path source();

    /** Writes a Hugging Face model directory atomically; refuses to overwrite {@link #source()}. */
    void save(Path dir, ModelDirectory.SaveOptions options);

    /** Writes the model files into an existing directory (e.g. a run directory), each file atomically. */
    void saveInto(Path dir, ModelDirectory.SaveOptions options);

    @Override
    void close();
}
