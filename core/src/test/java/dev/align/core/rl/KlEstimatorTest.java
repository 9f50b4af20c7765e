package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.align.core.EngineTest;
import dev.align.core.model.Scalars;
import org.junit.jupiter.api.Test;

class KlEstimatorTest extends EngineTest {
    static final float LN2 = (float) Math.log(2);

    @Test
    void estimatesMatchSchulmansFormulas() {
        // token 1: π = 0.5, π_ref = 0.25, r = log π_ref − log π = −ln 2; token 2: the reverse, r = ln 2
        NDArray logp = manager.create(new float[] {(float) Math.log(0.5), (float) Math.log(0.25)});
        NDArray ref = manager.create(new float[] {(float) Math.log(0.25), (float) Math.log(0.5)});
        // k1 = −r = [ln 2, −ln 2] = [0.6931471806, −0.6931471806]
        assertArrayEquals(new float[] {LN2, -LN2}, KlEstimator.K1.of(logp, ref).toFloatArray(), 1e-6f);
        // k2 = ½r² = ½(0.6931471806)² = 0.2402265070 for both
        assertArrayEquals(new float[] {0.2402265070f, 0.2402265070f}, KlEstimator.K2.of(logp, ref).toFloatArray(), 1e-6f);
        // k3 = eʳ − r − 1: 0.5 + 0.6931471806 − 1 = 0.1931471806; 2 − 0.6931471806 − 1 = 0.3068528194
        assertArrayEquals(new float[] {0.1931471806f, 0.3068528194f}, KlEstimator.K3.of(logp, ref).toFloatArray(), 1e-6f);
    }

    @Test
    void k1AndK3AreUnbiasedUnderThePolicyAndK2IsNot() {
        // π = [0.5, 0.25, 0.25], π_ref = [0.25, 0.5, 0.25]: KL(π‖π_ref) = 0.5 ln 2 + 0.25 ln 0.5 + 0 = 0.25 ln 2 = 0.1732867951
        float[] p = {0.5f, 0.25f, 0.25f}, q = {0.25f, 0.5f, 0.25f};
        NDArray logp = manager.create(p).log(), ref = manager.create(q).log(), weights = manager.create(p);
        double kl = 0.25 * Math.log(2);
        // E_π[k3] = 0.5·0.1931471806 + 0.25·0.3068528194 + 0 = 0.0965735903 + 0.0767132049 = 0.1732867951
        assertEquals(kl, Scalars.toFloat(KlEstimator.K1.of(logp, ref).mul(weights).sum()), 1e-6);
        assertEquals(kl, Scalars.toFloat(KlEstimator.K3.of(logp, ref).mul(weights).sum()), 1e-6);
        // E_π[k2] = 0.75·0.2402265070 = 0.1801698802 ≠ 0.1732867951
        assertEquals(0.1801698802, Scalars.toFloat(KlEstimator.K2.of(logp, ref).mul(weights).sum()), 1e-6);
        assertTrue(Scalars.toFloat(KlEstimator.K3.of(ref, logp).min()) >= 0);
    }

    @Test
    void names() {
        assertEquals(KlEstimator.K3, KlEstimator.parse("k3"));
        assertEquals("k1", KlEstimator.K1.trlName());
        assertThrows(IllegalArgumentException.class, () -> KlEstimator.parse("abs"));
    }
}
