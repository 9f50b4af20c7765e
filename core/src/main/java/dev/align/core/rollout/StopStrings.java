package dev.align.core.rollout;

import dev.align.core.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Finds stop strings as a completion grows, decoding only its last few tokens each step, special tokens
 * kept (so {@code "<|im_end|>"} is a stop string). A stop string found at the step whose token completes
 * it starts at most L − 1 characters before that token's text (L: the longest stop string), so the
 * window holds the newest token and enough older tokens to decode to L − 1 characters, plus a margin at
 * each end of theirs: a UTF-8 character cut by the window's edge decodes to up to three U+FFFD, and a
 * decoder may drop a leading space. The window starts at that many tokens and doubles while too short
 * (tokens of less than one character each: bytes of a multibyte character).
 */
final class StopStrings {
    /** Characters at each end of a decoded window that may differ from the completion's text. */
    private static final int SPOILED = 3;

    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int older; // characters the window's older tokens must decode to

    StopStrings(Tokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
        this.older = stops.stream().mapToInt(String::length).max().orElse(1) - 1 + 2 * SPOILED;
    }

    boolean isEmpty() {
        return stops.isEmpty();
    }

    /** Whether the text of {@code tokens[0, length)} contains a stop string (checked on its last tokens). */
    boolean endsInStop(int[] tokens, int length) {
        int window = Math.min(length, older + 1);
        while (window < length && decode(tokens, length - window, length - 1).length() < older) {
            window = Math.min(length, 2 * window);
        }
        String tail = decode(tokens, length - window, length);
        for (String stop : stops) {
            if (tail.contains(stop)) return true;
        }
        return false;
    }

    private String decode(int[] tokens, int from, int to) {
        return tokenizer.decode(Arrays.copyOfRange(tokens, from, to), false);
    }

    /** The text before its earliest stop string (the whole text when none occurs). */
    String cut(String text) {
        int at = text.length();
        for (String stop : stops) {
            int i = text.indexOf(stop);
            if (i >= 0) at = Math.min(at, i);
        }
        return text.substring(0, at);
    }
}
