package dev.align.core.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.EngineTest;
import org.junit.jupiter.api.Test;

class AttentionInputsTest extends EngineTest {
    @Test
    void aBiasTooLargeForAJavaArrayFailsWithAClearMessage() {
        // B·T·T = 2 · 32768² = 2³¹: int arithmetic wraps to a negative size.
        int batch = 2, t = 32768;
        long[] mask = new long[batch * t];
        java.util.Arrays.fill(mask, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionInputs.of(manager, mask, batch, t));
        assertTrue(e.getMessage().contains("2 x 1 x 32768 x 32768"), e.getMessage());
    }
}
