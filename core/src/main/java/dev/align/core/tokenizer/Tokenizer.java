package dev.align.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's tokenizer: {@code tokenizer.json} through DJL's Hugging Face tokenizers, plus the special
 * tokens and chat template of {@code tokenizer_config.json} and {@code generation_config.json}.
 */
public final class Tokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";
    public static final String CONFIG_FILE = "tokenizer_config.json";

    private final HuggingFaceTokenizer hf;
    private final String json;
    private final ObjectNode config;
    private final Map<String, Integer> tokenIds;
    private final int vocabSize;
    private final Integer bosId;
    private final int[] eosIds;
    private final int padId;
    private final ChatTemplate chatTemplate;

    private Tokenizer(String json, ObjectNode config, List<Integer> extraEos, Path source) {
        OfflineDjl.forceOffline();
        this.json = json;
        this.config = config;
        ObjectNode parsed;
        try {
            parsed = (ObjectNode) Json.MAPPER.readTree(json);
            Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false",
                    "padding", "false", "modelMaxLength", "100000000");
            hf = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException | RuntimeException e) {
            throw BadInputException.in(source, "not a valid tokenizer.json: " + firstLine(e.getMessage()));
        }
        tokenIds = new HashMap<>();
        parsed.path("model").path("vocab").fields().forEachRemaining(e -> tokenIds.put(e.getKey(), e.getValue().asInt()));
        int max = tokenIds.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        for (JsonNode t : parsed.path("added_tokens")) {
            tokenIds.put(t.path("content").asText(), t.path("id").asInt());
            max = Math.max(max, t.path("id").asInt());
        }
        vocabSize = max + 1;
        bosId = idOf(special(config, "bos_token"));
        Set<Integer> eos = new LinkedHashSet<>();
        Integer eosFromConfig = idOf(special(config, "eos_token"));
        if (eosFromConfig != null) eos.add(eosFromConfig);
        eos.addAll(extraEos);
        if (eos.isEmpty()) {
            throw BadInputException.in(source, "no eos_token in tokenizer_config.json or generation_config.json");
        }
        eosIds = eos.stream().mapToInt(Integer::intValue).toArray();
        Integer pad = idOf(special(config, "pad_token"));
        padId = pad != null ? pad : eosIds[0];
        Map<String, Object> specials = new HashMap<>();
        for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            String s = special(config, key);
            specials.put(key, s == null ? "" : s);
        }
        String template = templateSource(config.get("chat_template"));
        chatTemplate = new ChatTemplate(template != null ? template : ChatTemplate.BUILT_IN, specials);
    }

    /** The built-in byte-level tokenizer (256 bytes plus special tokens). */
    public static Tokenizer byteLevel() {
        return new Tokenizer(ByteLevelVocabulary.tokenizerJson(), ByteLevelVocabulary.tokenizerConfig(),
                List.of(ByteLevelVocabulary.SIZE - 1), Path.of("<built-in byte tokenizer>"));
    }

    /** A tokenizer.json with a tokenizer_config.json (may be null) and extra eos ids. */
    public static Tokenizer of(String tokenizerJson, ObjectNode tokenizerConfig, List<Integer> extraEos, Path source) {
        return new Tokenizer(tokenizerJson, tokenizerConfig == null ? Json.MAPPER.createObjectNode() : tokenizerConfig,
                extraEos, source);
    }

    /** Loads tokenizer.json and tokenizer_config.json (optional) from a model directory. */
    public static Tokenizer load(Path dir, List<Integer> extraEos) {
        Path file = dir.resolve(FILE);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
        Path cfg = dir.resolve(CONFIG_FILE);
        ObjectNode config = Files.exists(cfg) ? Json.readObject(cfg) : Json.MAPPER.createObjectNode();
        return new Tokenizer(text, config, extraEos, file);
    }

    /** Writes tokenizer.json and tokenizer_config.json into a directory. */
    public void save(Path dir) {
        AtomicFiles.writeString(dir.resolve(FILE), json);
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), Json.pretty(config));
    }

    /** Token ids of a text; special-token strings in the text are recognised, no BOS is added. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Token ids; {@code addSpecialTokens} applies the tokenizer's post-processor (a BOS for Llama). */
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = hf.encode(text, addSpecialTokens, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    /**
     * Token ids with the characters each token came from: token t covers {@code text.substring(start[t],
     * end[t])} (Java char indices). A token with no characters of its own, such as the BOS the
     * post-processor adds, has {@code start[t] == end[t] == -1}. Spans of byte-level pieces of one
     * character overlap (every piece covers the whole character).
     */
    public record Spans(int[] ids, int[] start, int[] end) {
        public int length() {
            return ids.length;
        }
    }

    /** {@link #encode(String, boolean)} with each token's character span, as HF's {@code return_offsets_mapping}. */
    public Spans encodeWithSpans(String text, boolean addSpecialTokens) {
        Encoding encoding = hf.encode(text, addSpecialTokens, false);
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        int[] charAt = codePointToCharIndex(text); // the tokenizer counts Unicode code points, Java UTF-16 units
        int n = ids.length;
        int[] out = new int[n], start = new int[n], end = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) ids[i];
            CharSpan span = spans[i];
            start[i] = span == null ? -1 : charAt[span.getStart()];
            end[i] = span == null ? -1 : charAt[span.getEnd()];
        }
        return new Spans(out, start, end);
    }

    /** index[k] = the Java char index of code point k, for k up to the number of code points. */
    private static int[] codePointToCharIndex(String text) {
        int[] index = new int[text.codePointCount(0, text.length()) + 1];
        for (int k = 0, c = 0; c <= text.length(); k++) {
            index[k] = c;
            if (c == text.length()) break;
            c += Character.charCount(text.codePointAt(c));
        }
        return index;
    }

    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return hf.decode(l, skipSpecialTokens);
    }

    /** Number of ids the tokenizer can produce (vocab plus added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token string, or null. */
    public Integer tokenId(String token) {
        return tokenIds.get(token);
    }

    public Integer bosId() {
        return bosId;
    }

    public int[] eosIds() {
        return eosIds.clone();
    }

    public boolean isEos(int id) {
        for (int e : eosIds) if (e == id) return true;
        return false;
    }

    public int padId() {
        return padId;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** Whether both tokenizers map text to the same ids (the same tokenizer.json), so ids can be shared. */
    public boolean sameVocabulary(Tokenizer other) {
        return other == this || json.equals(other.json);
    }

    @Override
    public void close() {
        hf.close();
    }

    private Integer idOf(String token) {
        return token == null ? null : tokenIds.get(token);
    }

    private static String special(ObjectNode config, String key) {
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.has("content")) return n.get("content").asText();
        return null;
    }

    private static String templateSource(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        if (node.isArray()) { // [{name, template}, ...]: take "default"
            List<String> all = new ArrayList<>();
            for (JsonNode t : node) {
                if ("default".equals(t.path("name").asText())) return t.path("template").asText();
                all.add(t.path("template").asText());
            }
            return all.isEmpty() ? null : all.get(0);
        }
        return null;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
