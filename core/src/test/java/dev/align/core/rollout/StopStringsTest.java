package dev.align.core.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stop strings against completions of the byte-level tokenizer (one token per UTF-8 byte, plus specials). */
class StopStringsTest {
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        tok = Tokenizer.byteLevel();
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void aSpecialTokenIsAStopString() {
        int end = tok.tokenId(ByteLevelVocabulary.IM_END);
        int[] tokens = concat(ByteLevelVocabulary.bytesOf("The answer is 4."), new int[] {end});
        StopStrings stops = new StopStrings(tok, List.of(ByteLevelVocabulary.IM_END));
        assertFirstStop(stops, tokens, tokens.length);
    }

    @Test
    void aStopStringSpanningTwoSpecialTokensAndText() {
        int end = tok.tokenId(ByteLevelVocabulary.IM_END), start = tok.tokenId(ByteLevelVocabulary.IM_START);
        int[] tokens = concat(ByteLevelVocabulary.bytesOf("ok"), new int[] {end, start}, ByteLevelVocabulary.bytesOf("user"));
        StopStrings stops = new StopStrings(tok, List.of("never", ByteLevelVocabulary.IM_END + ByteLevelVocabulary.IM_START + "us"));
        assertFirstStop(stops, tokens, 6);
        StopStrings two = new StopStrings(tok, List.of(ByteLevelVocabulary.IM_END + ByteLevelVocabulary.IM_START));
        assertFirstStop(two, tokens, 4);
    }

    @Test
    void aMultibyteStopStringIsFoundWhenItsLastByteArrives() {
        int[] tokens = ByteLevelVocabulary.bytesOf("ab 日本語 ok"); // 本 and 語 are three bytes each
        StopStrings stops = new StopStrings(tok, List.of("本語"));
        assertFirstStop(stops, tokens, ByteLevelVocabulary.bytesOf("ab 日本語").length);
        assertEquals("ab 日", stops.cut("ab 日本語 ok"));
    }

    /** The stop string is first found once the completion has {@code first} tokens. */
    private static void assertFirstStop(StopStrings stops, int[] tokens, int first) {
        for (int n = 1; n < first; n++) assertFalse(stops.endsInStop(tokens, n), "found at " + n + " tokens");
        assertTrue(stops.endsInStop(tokens, first), "not found at " + first + " tokens");
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }
}
