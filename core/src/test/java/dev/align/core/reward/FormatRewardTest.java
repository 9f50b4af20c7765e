package dev.align.core.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormatRewardTest {
    @Test
    void paysTheWholeCompletionMatchingAcrossLines() {
        FormatReward r = new FormatReward("<think>.*?</think>\\s*<answer>.*?</answer>");
        List<Sample> samples = List.of(
                Sample.ofText("q", "<think>3 + 4\nis 7</think>\n<answer>7</answer>", Map.of()), // . crosses the newline
                Sample.ofText("q", "<think>x</think><answer>7</answer> and more", Map.of()), // the whole completion must match
                Sample.ofText("q", "7", Map.of()));
        assertArrayEquals(new float[] {1f, 0f, 0f}, r.rewards(samples));
        assertEquals("format", r.name());
        var e = assertThrows(IllegalArgumentException.class, () -> new FormatReward("(unclosed"));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
