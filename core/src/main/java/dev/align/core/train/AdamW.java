package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.align.core.model.Persistent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter), as {@code torch.optim.AdamW}: decoupled weight decay, bias-corrected
 * moments. Like HF's Trainer, biases and norm weights get no weight decay.
 *
 * <pre>
 *   θ ← θ − lr·λ·θ
 *   m ← β₁m + (1−β₁)g        v ← β₂v + (1−β₂)g²
 *   θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 * </pre>
 */
public final class AdamW implements AutoCloseable {
    /** Hyper-parameters; HF Trainer's defaults are β=(0.9, 0.999), ε=1e-8, λ=0. */
    public record Config(double beta1, double beta2, double epsilon, double weightDecay) {
        public static final Config DEFAULT = new Config(0.9, 0.999, 1e-8, 0.0);
    }

    private final Config config;
    private final NDManager state;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    public AdamW(NDManager parent, Config config) {
        this.config = config;
        this.state = parent.newSubManager();
    }

    public long stepCount() {
        return step;
    }

    /** Optimizer state (moments) by parameter name, for checkpoints. */
    public Map<String, NDArray> firstMoments() {
        return m;
    }

    public Map<String, NDArray> secondMoments() {
        return v;
    }

    /** Restores state written by a checkpoint. */
    public void restore(long stepCount, Map<String, float[]> first, Map<String, float[]> second,
            Map<String, NDArray> params) {
        step = stepCount;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (first.containsKey(e.getKey())) {
                m.put(e.getKey(), Persistent.keep(state.create(first.get(e.getKey()), e.getValue().getShape())));
                v.put(e.getKey(), Persistent.keep(state.create(second.get(e.getKey()), e.getValue().getShape())));
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public void step(Map<String, NDArray> params, double lr) {
        step++;
        double bc1 = 1 - Math.pow(config.beta1(), step);
        double bc2 = 1 - Math.pow(config.beta2(), step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            if (!p.hasGradient()) continue;
            // Moments outlive the per-update scope below, so they are created before it opens.
            NDArray mi = m.computeIfAbsent(e.getKey(), k -> Persistent.keep(state.zeros(p.getShape())));
            NDArray vi = v.computeIfAbsent(e.getKey(), k -> Persistent.keep(state.zeros(p.getShape())));
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray g = p.getGradient();
                mi.muli(config.beta1()).addi(g.mul(1 - config.beta1()));
                vi.muli(config.beta2()).addi(g.square().muli(1 - config.beta2()));
                if (config.weightDecay() > 0 && decays(e.getKey())) {
                    p.muli(1 - lr * config.weightDecay());
                }
                NDArray denom = vi.div(bc2).sqrt().addi(config.epsilon());
                p.subi(mi.div(denom).muli(lr / bc1));
            }
        }
    }

    /** HF Trainer's rule: no weight decay on biases and normalisation weights. */
    static boolean decays(String name) {
        return !name.endsWith(".bias") && !name.contains("norm") && !name.contains(".ln_");
    }

    @Override
    public void close() {
        state.close();
    }
}
