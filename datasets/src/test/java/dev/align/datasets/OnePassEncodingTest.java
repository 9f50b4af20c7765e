package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training must see the token sequence inference sees: the rendered text encoded once, and at
 * every trained turn, the tokens before it equal the rendered prompt (with the generation prompt)
 * encoded the way a generator encodes it. Real GPT-2 and Llama-2 (SentencePiece) tokenizers.
 */
class OnePassEncodingTest {
    /** Llama-2-chat's chat template (no generation prompt: the prompt ends at " [/INST]"). */
    static final String LLAMA2_CHAT = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    static String resource(String name) {
        try (InputStream in = OnePassEncodingTest.class.getResourceAsStream("/tokenizers/" + name)) {
            InputStream s = name.endsWith(".gz") ? new GZIPInputStream(in) : in;
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GPT-2's byte-level BPE with the built-in ChatML template. */
    static Tokenizer gpt2() {
        ObjectNode config = Json.MAPPER.createObjectNode().put("eos_token", "<|endoftext|>");
        return Tokenizer.of(resource("gpt2-tokenizer.json.gz"), config, List.of(), Path.of("gpt2"));
    }

    /** Llama-2's SentencePiece BPE (a "▁" is prepended to the text) with Llama-2-chat's template. */
    static Tokenizer llama2() {
        try {
            ObjectNode config = (ObjectNode) Json.MAPPER.readTree(resource("llama2-tokenizer_config.json"));
            config.put("chat_template", LLAMA2_CHAT);
            return Tokenizer.of(resource("llama2-tokenizer.json.gz"), config, List.of(), Path.of("llama2"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Tokenizer> tokenizers() {
        return Stream.of(gpt2(), llama2(), Tokenizer.byteLevel());
    }

    static final List<Message> DIALOGUE = List.of(new Message("system", "Be honest."),
            new Message("user", "Is 7 prime?"), new Message("assistant", "Yes, 7 is prime."),
            new Message("user", "Are you sure? I think it is 3 × 3."), new Message("assistant", "Yes. 3 × 3 is 9, not 7."));

    /** What a generator feeds the model for a plain prompt: the text with the tokenizer's special tokens (BOS). */
    static int[] generatorIds(Tokenizer tok, String prompt) {
        return tok.encode(prompt, true);
    }

    /** ... and for a chat prompt: the rendered template with its generation prompt (it places BOS itself). */
    static int[] generatorIds(Tokenizer tok, List<Message> prompt) {
        return tok.encode(tok.chatTemplate().render(prompt, true), false);
    }

    static int[] withEos(Tokenizer tok, int[] ids) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tok.eosIds()[0];
        return out;
    }

    /** Start of each run of trained tokens (position 0 is never trained, it is not predicted). */
    static List<Integer> trainedRunStarts(TokenizedExample e) {
        List<Integer> starts = new ArrayList<>();
        for (int t = 1; t < e.length(); t++) if (e.loss()[t] && !e.loss()[t - 1]) starts.add(t);
        return starts;
    }

    static String name(Tokenizer tok) {
        return tok.vocabSize() + "-token vocabulary";
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void promptCompletionIsTheFullTextEncodedOnce(Tokenizer tok) {
        String prompt = "Question: What is the capital of France?\nAnswer:", completion = " Paris, on the Seine.";
        TokenizedExample e = new ExampleEncoder(tok, 1000, false)
                .encode(new Example.PromptCompletion(Example.Turns.of(prompt), Example.Turns.of(completion)));
        assertArrayEquals(withEos(tok, tok.encode(prompt + completion, true)), e.ids(), name(tok));
        int start = trainedRunStarts(e).get(0);
        assertArrayEquals(generatorIds(tok, prompt), Arrays.copyOf(e.ids(), start), name(tok) + ": the prompt as generated from");
        assertEquals(start, e.promptLength());
        assertArrayEquals(generatorIds(tok, prompt), new ExampleEncoder(tok, 1000, false).promptIds(Example.Turns.of(prompt)));
        assertEquals(1, trainedRunStarts(e).size(), name(tok) + ": the completion and EOS are trained");
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void everyAssistantTurnIsTrainedOnTheTokensItIsGeneratedAfter(Tokenizer tok) {
        TokenizedExample e = new ExampleEncoder(tok, 1000, false).encode(new Example.Conversation(DIALOGUE));
        assertArrayEquals(tok.encode(tok.chatTemplate().render(DIALOGUE, false), false), e.ids(), name(tok));
        List<Integer> starts = trainedRunStarts(e);
        assertEquals(2, starts.size(), name(tok) + ": two assistant turns");
        assertArrayEquals(generatorIds(tok, DIALOGUE.subList(0, 2)), Arrays.copyOf(e.ids(), starts.get(0)), name(tok));
        assertArrayEquals(generatorIds(tok, DIALOGUE.subList(0, 4)), Arrays.copyOf(e.ids(), starts.get(1)), name(tok));
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void bothSidesOfAPreferencePairAreEncodedOnce(Tokenizer tok) {
        ExampleEncoder enc = new ExampleEncoder(tok, 1000, false);
        String prompt = "Is 7 prime?", chosen = " Yes, 7 is prime.", rejected = " No, 7 is 3 × 3.";
        for (String response : List.of(chosen, rejected)) {
            TokenizedExample e = enc.promptCompletion(Example.Turns.of(prompt), Example.Turns.of(response));
            assertArrayEquals(withEos(tok, tok.encode(prompt + response, true)), e.ids(), name(tok));
            assertArrayEquals(generatorIds(tok, prompt), Arrays.copyOf(e.ids(), trainedRunStarts(e).get(0)), name(tok));
            assertArrayEquals(enc.promptIds(Example.Turns.of(prompt)), Arrays.copyOf(e.ids(), e.promptLength()), name(tok));
        }
        List<Message> chatPrompt = DIALOGUE.subList(0, 4);
        for (String response : List.of("Yes. 3 × 3 is 9, not 7.", "You are right, 7 is 3 × 3.")) {
            List<Message> all = new ArrayList<>(chatPrompt);
            all.add(new Message("assistant", response));
            TokenizedExample e = enc.promptCompletion(Example.Turns.of(chatPrompt),
                    Example.Turns.of(List.of(new Message("assistant", response))));
            assertArrayEquals(tok.encode(tok.chatTemplate().render(all, false), false), e.ids(), name(tok));
            List<Integer> starts = trainedRunStarts(e);
            assertArrayEquals(generatorIds(tok, chatPrompt), Arrays.copyOf(e.ids(), starts.get(starts.size() - 1)), name(tok));
            assertEquals(List.of(e.promptLength()), starts, name(tok) + ": only the completion is trained, not the prompt's assistant turn");
            assertArrayEquals(enc.promptIds(Example.Turns.of(chatPrompt)), Arrays.copyOf(e.ids(), e.promptLength()), name(tok));
        }
    }

    /** The boundary rule: a token holding the prompt's last character and the completion's first is trained. */
    @org.junit.jupiter.api.Test
    void aTokenStraddlingTheEndOfThePromptIsACompletionToken() {
        Tokenizer tok = gpt2();
        String prompt = "2 + 2 = ", completion = "4"; // GPT-2 merges the prompt's final space into " 4"
        ExampleEncoder enc = new ExampleEncoder(tok, 100, false);
        TokenizedExample e = enc.promptCompletion(Example.Turns.of(prompt), Example.Turns.of(completion));
        assertArrayEquals(withEos(tok, tok.encode(prompt + completion)), e.ids());
        assertEquals(4, e.promptLength(), "2, ' +', ' 2', ' ='");
        assertEquals("2 + 2 =", tok.decode(Arrays.copyOf(e.ids(), e.promptLength()), false));
        assertEquals(" 4", tok.decode(new int[] {e.ids()[4]}, false));
        assertArrayEquals(new boolean[] {false, false, false, false, true, true}, e.loss(), "' 4' and EOS are trained");
        // Inference encodes the prompt alone and ends it with a lone ' ': the one case where the two must differ.
        assertEquals(5, enc.promptIds(Example.Turns.of(prompt)).length);
    }

    /** Tokenizers count characters as Unicode code points; Java strings as UTF-16 units. */
    @ParameterizedTest
    @MethodSource("tokenizers")
    void charactersOutsideTheBasicPlaneDoNotShiftTheMask(Tokenizer tok) {
        String prompt = "Mood: 😀😀🎉 café\nReply:", completion = " 🎉 ☕ yes 😀";
        TokenizedExample e = new ExampleEncoder(tok, 1000, false).promptCompletion(Example.Turns.of(prompt),
                Example.Turns.of(completion));
        int[] trained = java.util.stream.IntStream.range(0, e.length() - 1).filter(t -> e.loss()[t]).map(t -> e.ids()[t])
                .toArray();
        assertEquals(e.length() - 1 - e.promptLength(), trained.length, name(tok) + ": the trained tokens follow the prompt");
        assertEquals(completion.strip(), tok.decode(trained, false).strip(), name(tok)); // Llama drops a leading space
        assertEquals(prompt, tok.decode(Arrays.copyOf(e.ids(), e.promptLength()), true), name(tok));
        assertTrue(e.loss()[e.length() - 1], "EOS");
    }

    /** max_prompt_length keeps the prompt's last tokens (TRL's keep_end for prompts), then max_length its start. */
    @org.junit.jupiter.api.Test
    void aLongPromptIsCutFromTheLeftToExactlyMaxPromptLength() {
        Tokenizer bytes = Tokenizer.byteLevel(); // one token per byte, no BOS: the ids can be written by hand
        Example.Turns prompt = Example.Turns.of("abcdefghij"), completion = Example.Turns.of("XYZ");
        TokenizedExample e = new ExampleEncoder(bytes, 100, false, 4).promptCompletion(prompt, completion);
        assertEquals("ghijXYZ<|endoftext|>", bytes.decode(e.ids(), false));
        assertArrayEquals(new boolean[] {false, false, false, false, true, true, true, true}, e.loss());
        assertEquals(4, e.promptLength());
        assertTrue(e.promptTruncated());
        assertFalse(e.truncated());
        assertEquals("ghij", bytes.decode(new ExampleEncoder(bytes, 100, false, 4).promptIds(prompt), false));

        TokenizedExample cut = new ExampleEncoder(bytes, 6, false, 4).promptCompletion(prompt, completion);
        assertEquals("ghijXY", bytes.decode(cut.ids(), false), "max_length keeps the start");
        assertTrue(cut.truncated());
        assertEquals(2, cut.completionLength());
        TokenizedExample full = new ExampleEncoder(bytes, 4, false, 4).promptCompletion(prompt, completion);
        assertEquals(0, full.completionLength(), "the prompt fills max_length");
        TokenizedExample untouched = new ExampleEncoder(bytes, 100, false, 10).promptCompletion(prompt, completion);
        assertFalse(untouched.promptTruncated());
        assertEquals(10, untouched.promptLength());

        Tokenizer llama = llama2(); // the same with SentencePiece: the kept prompt is the tail of the one-pass ids
        String text = "Question: What is the capital of France? Answer in one word.\nAnswer:";
        int[] whole = llama.encode(text + " Paris", true);
        int promptTokens = llama.encode(text, true).length;
        TokenizedExample l = new ExampleEncoder(llama, 100, false, 5).promptCompletion(Example.Turns.of(text),
                Example.Turns.of(" Paris"));
        assertEquals(5, l.promptLength());
        int[] expected = withEos(llama, Arrays.copyOfRange(whole, promptTokens - 5, whole.length));
        assertArrayEquals(expected, l.ids());
        assertArrayEquals(Arrays.copyOf(expected, 5), new ExampleEncoder(llama, 100, false, 5).promptIds(Example.Turns.of(text)));
    }
}
