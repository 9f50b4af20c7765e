package dev.align.core.rollout;

import dev.align.core.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Finds stop strings as a completion grows, decoding only its last few tokens each step. Every token
 * decodes to at least one byte, so a stop string of n UTF-8 bytes that ends in the newest token lies
 * within the last n tokens; one more covers a token without text (a special token) in between. Each
 * step checks the tail, so a stop string is found at the step whose token completes it.
 */
final class StopStrings {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int window;

    StopStrings(Tokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = stops;
        this.window = stops.stream().mapToInt(s -> s.getBytes(StandardCharsets.UTF_8).length).max().orElse(0) + 1;
    }

    boolean isEmpty() {
        return stops.isEmpty();
    }

    /** Whether the text of {@code tokens[0, length)} ends with a stop string (checked on its last tokens). */
    boolean endsInStop(int[] tokens, int length) {
        String tail = tokenizer.decode(Arrays.copyOfRange(tokens, Math.max(0, length - window), length), true);
        for (String stop : stops) {
            if (tail.contains(stop)) return true;
        }
        return false;
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
