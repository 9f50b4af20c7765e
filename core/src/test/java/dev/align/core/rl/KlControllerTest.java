package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KlControllerTest {
    static final KlController.Adaptive TRL_DEFAULTS = new KlController.Adaptive(0.2, 6, 10000);

    @Test
    void adaptiveControllerFollowsZieglersProportionalRule() {
        // KL 9 > target 6: e = clip(9/6 − 1 = 0.5, ±0.2) = 0.2; β = 0.2·(1 + 0.2·256/10000) = 0.2·1.00512 = 0.201024
        assertEquals(0.201024, TRL_DEFAULTS.update(9, 256).coefficient(), 1e-12);
        // KL 5.4: e = 5.4/6 − 1 = −0.1 (inside the clip); β = 0.2·(1 − 0.1·100/10000) = 0.2·0.999 = 0.1998
        assertEquals(0.1998, TRL_DEFAULTS.update(5.4, 100).coefficient(), 1e-12);
        // KL 0: e = clip(−1) = −0.2; β = 0.2·(1 − 0.2·512/10000) = 0.2·0.98976 = 0.197952
        assertEquals(0.197952, TRL_DEFAULTS.update(0, 512).coefficient(), 1e-12);
        // two steps compound: 0.201024·(1 + 0.2·1000/10000) = 0.201024·1.02 = 0.20504448
        assertEquals(0.20504448, TRL_DEFAULTS.update(9, 256).update(7.2, 1000).coefficient(), 1e-12);
        // KL on target: e = 0, β unchanged
        assertEquals(0.2, TRL_DEFAULTS.update(6, 1000).coefficient(), 1e-15);
    }

    @Test
    void stateRoundTripsThroughItsCoefficient() {
        KlController trained = TRL_DEFAULTS.update(9, 256).update(3, 64);
        double saved = trained.coefficient(); // what a checkpoint stores
        KlController restored = TRL_DEFAULTS.withCoefficient(saved);
        assertEquals(trained, restored);
        assertEquals(trained.update(8, 128).coefficient(), restored.update(8, 128).coefficient(), 0);
    }

    @Test
    void fixedControllerNeverMoves() {
        KlController fixed = new KlController.Fixed(0.05);
        assertEquals(0.05, fixed.update(100, 10_000).update(0, 10_000).coefficient(), 0);
        assertEquals(0.1, fixed.withCoefficient(0.1).update(100, 1).coefficient(), 0);
    }

    @Test
    void targetAndHorizonMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new KlController.Adaptive(0.2, 0, 10000));
        assertThrows(IllegalArgumentException.class, () -> new KlController.Adaptive(0.2, 6, -1));
    }
}
