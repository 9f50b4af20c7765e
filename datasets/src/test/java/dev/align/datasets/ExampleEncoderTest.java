package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align.core.OfflineDjl;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import dev.align.core.train.CausalLmLoss;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleEncoderTest {
    final Tokenizer tok = Tokenizer.byteLevel();

    /** The trained tokens, decoded, in order. */
    private String trainedText(TokenizedExample e) {
        StringBuilder sb = new StringBuilder();
        for (int t = 0; t < e.length(); t++) {
            if (e.loss()[t]) sb.append(tok.decode(new int[] {e.ids()[t]}, false));
        }
        return sb.toString();
    }

    @Test
    void promptCompletionTrainsOnCompletionAndEosOnly() {
        ExampleEncoder enc = new ExampleEncoder(tok, 100, false);
        TokenizedExample e = enc.encode(new Example.PromptCompletion(Example.Turns.of("2+2="), Example.Turns.of("4")));
        assertEquals("2+2=4<|endoftext|>", tok.decode(e.ids(), false));
        assertEquals("4<|endoftext|>", trainedText(e));
        TokenizedExample all = new ExampleEncoder(tok, 100, true)
                .encode(new Example.PromptCompletion(Example.Turns.of("2+2="), Example.Turns.of("4")));
        assertEquals("+2=4<|endoftext|>", trainedText(all), "--loss-on-prompt trains every predicted token");
    }

    @Test
    void everyAssistantTurnOfAConversationIsTrained() {
        ExampleEncoder enc = new ExampleEncoder(tok, 1000, false);
        TokenizedExample e = enc.encode(new Example.Conversation(List.of(new Message("system", "Be honest."),
                new Message("user", "Is 7 prime?"), new Message("assistant", "Yes."),
                new Message("user", "Are you sure?"), new Message("assistant", "Yes, 7 is prime."))));
        assertEquals("Yes.<|im_end|>\nYes, 7 is prime.<|im_end|>\n", trainedText(e));
        assertFalse(e.truncated());
    }

    @Test
    void truncationAtMaxLengthIsReported() {
        TokenizedExample e = new ExampleEncoder(tok, 5, false)
                .encode(new Example.PromptCompletion(Example.Turns.of("abc"), Example.Turns.of("defgh")));
        assertEquals(5, e.length());
        assertTrue(e.truncated());
    }

    @Test
    void changingPromptLabelsLeavesTheLossAloneButCompletionLabelsChangeIt() {
        ExampleEncoder enc = new ExampleEncoder(tok, 100, false);
        TokenizedExample e = enc.encode(new Example.PromptCompletion(Example.Turns.of("Capital of France?"),
                Example.Turns.of("Paris")));
        try (NDManager manager = OfflineDjl.newManager();
                TransformerPolicy model = TransformerPolicy.initialize(manager,
                        ModelConfig.llama("llama", ByteLevelVocabulary.SIZE, 32, 2, 4, 2, 64, 128, false), tok, 1)) {
            int n = e.length();
            long[] ids = new long[n];
            long[] mask = new long[n];
            long[] loss = new long[n];
            for (int t = 0; t < n; t++) {
                ids[t] = e.ids()[t];
                mask[t] = 1;
                loss[t] = e.loss()[t] ? 1 : 0;
            }
            Shape s = new Shape(1, n);
            NDArray attention = manager.create(mask, s);
            NDArray logits = model.logits(manager.create(ids, s), attention);
            NDArray lossMask = manager.create(loss, s);
            float base = CausalLmLoss.fromLogits(logits, manager.create(ids, s), attention, lossMask).getFloat();
            long[] promptChanged = ids.clone();
            long[] completionChanged = ids.clone();
            for (int t = 0; t < n; t++) {
                if (loss[t] == 0) promptChanged[t] = (ids[t] + 7) % 256;
            }
            completionChanged[n - 2] = (ids[n - 2] + 7) % 256; // a completion token ("s" of Paris)
            assertEquals(1, loss[n - 2]);
            assertEquals(base, CausalLmLoss.fromLogits(logits, manager.create(promptChanged, s), attention, lossMask).getFloat(), 0f);
            assertNotEquals(base, CausalLmLoss.fromLogits(logits, manager.create(completionChanged, s), attention, lossMask).getFloat());
        }
    }

    @Test
    void aPromptCutUnderAnUnboundedMaxLengthKeepsTheWholeRest() {
        // max_length = Integer.MAX_VALUE with a cut prompt: from + maxLength must not overflow.
        TokenizedExample e = new ExampleEncoder(tok, Integer.MAX_VALUE, false, 2)
                .encode(new Example.PromptCompletion(Example.Turns.of("abcd"), Example.Turns.of("ef")));
        assertEquals("cdef<|endoftext|>", tok.decode(e.ids(), false));
        assertEquals(2, e.promptLength());
        assertTrue(e.promptTruncated());
        assertFalse(e.truncated());
    }

    @Test
    void aCompletionThatEndsWithTheEosTextGetsOneEos() {
        ExampleEncoder enc = new ExampleEncoder(tok, 100, false);
        TokenizedExample e = enc.encode(new Example.PromptCompletion(Example.Turns.of("2+2="), Example.Turns.of("4<|endoftext|>")));
        assertEquals("2+2=4<|endoftext|>", tok.decode(e.ids(), false));
        assertEquals(enc.encode(new Example.PromptCompletion(Example.Turns.of("2+2="), Example.Turns.of("4"))).length(), e.length());
        assertEquals("4<|endoftext|>", trainedText(e));
        assertEquals("ab<|endoftext|>", tok.decode(enc.encode(new Example.Text("ab<|endoftext|>")).ids(), false));
    }
}
