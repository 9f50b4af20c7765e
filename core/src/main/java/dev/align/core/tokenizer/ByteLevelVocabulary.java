package dev.align.core.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The built-in tokenizer for tiny models: one token per UTF-8 byte (ids 0–255) plus special tokens.
 * It is written as an ordinary Hugging Face {@code tokenizer.json} (a byte-level BPE with no merges,
 * using GPT-2's byte-to-unicode alphabet), so the Python ecosystem and DJL load it unchanged.
 */
public final class ByteLevelVocabulary {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String PAD = "<|pad|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    /** Special tokens after the 256 bytes, in id order. */
    public static final List<String> SPECIALS = List.of(END_OF_TEXT, PAD, IM_START, IM_END);
    public static final int SIZE = 256 + SPECIALS.size();

    private ByteLevelVocabulary() {}

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to code points from 256 on. */
    public static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return map;
    }

    /** The token ids of a text: its UTF-8 bytes (special tokens are not recognised here). */
    public static int[] bytesOf(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xff;
        return ids;
    }

    /** The tokenizer.json text. */
    public static String tokenizerJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", 256 + i);
            t.put("content", SPECIALS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        char[] map = byteToUnicode();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(map[b]), b);
        model.putArray("merges");
        return Json.pretty(root);
    }

    /** tokenizer_config.json for the byte tokenizer, with the built-in chat template. */
    public static ObjectNode tokenizerConfig() {
        ObjectNode cfg = Json.MAPPER.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("bos_token", END_OF_TEXT);
        cfg.put("eos_token", END_OF_TEXT);
        cfg.put("pad_token", PAD);
        cfg.put("unk_token", (String) null);
        cfg.put("model_max_length", 1_000_000);
        cfg.put("chat_template", ChatTemplate.BUILT_IN);
        return cfg;
    }
}
