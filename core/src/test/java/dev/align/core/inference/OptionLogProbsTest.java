package dev.align.core.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.logprob.TextLogProbs;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.ChatPrompt;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link LocalModel#optionLogProbs}: the multiple-choice readout AI feedback reads, against hand computations. */
class OptionLogProbsTest extends EngineTest {
    private static TransformerPolicy policy;
    private static LocalModel local;

    @BeforeAll
    static void start() {
        policy = TinyModels.llama(manager, 11);
        local = new LocalModel("local", policy, false, 64, 0);
    }

    @AfterAll
    static void stop() {
        local.close();
        policy.close();
    }

    static List<Message> asked(String question, String prefill) {
        return List.of(new Message("system", "Pick the better reply."), new Message("user", question),
                new Message("assistant", prefill));
    }

    /** Σ log p(tail | context) by TextLogProbs.tokens, one row. */
    static double score(TransformerPolicy model, int[] context, int[] tail) {
        return new TextLogProbs(model).tokens(List.of(context), List.of(tail), 0).get(0).sum(0);
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static double[] normalised(double[] logProbs) {
        double max = Arrays.stream(logProbs).max().orElseThrow(), z = 0;
        for (double lp : logProbs) z += Math.exp(lp - max);
        double[] p = new double[logProbs.length];
        for (int k = 0; k < p.length; k++) p[k] = Math.exp(logProbs[k] - max) / z;
        return p;
    }

    @Test
    void singleLetterOptionsAfterAnOpenParenthesisAreTheNextTokensLogProbsOnTheRenderedIds() {
        Tokenizer tok = policy.tokenizer();
        List<List<Message>> conversations = List.of(
                asked("Which reply is more honest? (A) 42 (B) 41", "The answer is: ("),
                asked("x".repeat(300), "The answer is: ("), // past the model's 256 positions
                asked("Which is kinder?", "Reply ("));
        List<double[]> got = local.optionLogProbs(conversations, List.of("A", "B"));
        assertEquals(3, got.size());
        for (int i : new int[] {0, 2}) {
            int[] ids = ChatPrompt.ids(tok, conversations.get(i));
            assertEquals('(', ids[ids.length - 1], "the prefill ends the rendered ids: no generation prompt after it");
            double[] expected = {score(policy, ids, tok.encode("A", false)), score(policy, ids, tok.encode("B", false))};
            assertArrayEquals(expected, got.get(i), 1e-6);
            assertTrue(expected[0] < 0 && expected[0] != expected[1], Arrays.toString(expected));
        }
        assertTrue(Double.isNaN(got.get(1)[0]) && Double.isNaN(got.get(1)[1]), Arrays.toString(got.get(1)));
    }

    @Test
    void multiTokenOptionsScoreTheirDifferingTailsSoASharedParenthesisCancels() {
        Tokenizer tok = policy.tokenizer();
        List<Message> open = asked("Which reply keeps the correct answer?", "The answer is: ");
        double[] whole = local.optionLogProbs(List.of(open), List.of("(A)", "(B)")).get(0);
        int[] context = concat(ChatPrompt.ids(tok, open), tok.encode("(", false)); // the options' shared prefix
        assertArrayEquals(new double[] {score(policy, context, tok.encode("A)", false)), score(policy, context,
                tok.encode("B)", false))}, whole, 1e-6);
        List<Message> afterParenthesis = asked("Which reply keeps the correct answer?", "The answer is: (");
        double[] tails = local.optionLogProbs(List.of(afterParenthesis), List.of("A)", "B)")).get(0);
        assertArrayEquals(normalised(tails), normalised(whole), 1e-6);
        double[] letters = local.optionLogProbs(List.of(afterParenthesis), List.of("A", "B")).get(0);
        assertTrue(Math.abs(normalised(letters)[0] - normalised(tails)[0]) > 1e-4, "the closing ')' is scored too");
        // an option that is a prefix of another keeps its own token: log p(A) and log p(A) + log p(B | A)
        int[] ids = ChatPrompt.ids(tok, afterParenthesis);
        double a = score(policy, ids, tok.encode("A", false));
        assertArrayEquals(new double[] {a, a + score(policy, concat(ids, tok.encode("A", false)), tok.encode("B", false))},
                local.optionLogProbs(List.of(afterParenthesis), List.of("A", "AB")).get(0), 1e-5);
    }

    @Test
    void aBpeMergeOfThePrefillsLastCharacterWithTheOptionComparesTheMergedTokens() throws IOException {
        Tokenizer gpt2;
        try (InputStream in = OptionLogProbsTest.class.getResourceAsStream("/tokenizers/gpt2-tokenizer.json.gz")) {
            gpt2 = Tokenizer.of(new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8),
                    (ObjectNode) Json.MAPPER.readTree("{\"eos_token\":\"<|endoftext|>\"}"), List.of(), Path.of("gpt2"));
        }
        ModelConfig c = ModelConfig.llama("llama", gpt2.vocabSize(), 16, 1, 2, 1, 32, 256, false);
        try (TransformerPolicy bpe = TransformerPolicy.initialize(manager, c, gpt2, 5);
                LocalModel model = new LocalModel("bpe", bpe, false, 8, 0)) {
            List<Message> conversation = asked("How many?", "The count is 1");
            String rendered = ChatPrompt.render(gpt2, conversation);
            int[] twelve = gpt2.encode(rendered + "2", false), thirteen = gpt2.encode(rendered + "3", false);
            int[] prompt = ChatPrompt.ids(gpt2, conversation);
            int[] context = Arrays.copyOf(prompt, prompt.length - 1);
            assertArrayEquals(context, Arrays.copyOf(twelve, twelve.length - 1), "'1' and '2' merge into one token");
            assertEquals(" 12", gpt2.decode(new int[] {twelve[twelve.length - 1]}, false));
            assertEquals(" 13", gpt2.decode(new int[] {thirteen[thirteen.length - 1]}, false));
            double[] expected = {score(bpe, context, new int[] {twelve[twelve.length - 1]}),
                    score(bpe, context, new int[] {thirteen[thirteen.length - 1]})};
            assertArrayEquals(expected, model.optionLogProbs(List.of(conversation), List.of("2", "3")).get(0), 1e-6);
        } finally {
            gpt2.close();
        }
    }

    @Test
    void aConversationWithoutAPrefillAndRepeatedOrEmptyOptionsAreRefused() {
        List<Message> plain = List.of(new Message("user", "Which is better?"));
        List<Message> prefilled = asked("Which is better?", "(");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> local.optionLogProbs(List.of(prefilled, plain), List.of("A", "B")));
        assertEquals("conversation 1 does not end with an assistant prefill (e.g. \"The answer is: (\"): the options "
                + "continue it", e.getMessage());
        assertEquals("options repeat: [A, B, A]", assertThrows(IllegalArgumentException.class,
                () -> local.optionLogProbs(List.of(prefilled), List.of("A", "B", "A"))).getMessage());
        assertEquals("an option is empty: [A, ]", assertThrows(IllegalArgumentException.class,
                () -> local.optionLogProbs(List.of(prefilled), List.of("A", ""))).getMessage());
        assertEquals("a multiple-choice readout needs two options at least, got [A]", assertThrows(
                IllegalArgumentException.class, () -> local.optionLogProbs(List.of(prefilled), List.of("A"))).getMessage());
    }
}
