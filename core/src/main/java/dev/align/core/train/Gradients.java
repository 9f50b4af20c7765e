package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.Collection;

/**
 * Gradient bookkeeping DJL leaves to us: its PyTorch collector accumulates gradients across backward
 * passes and never zeroes them, and its {@code optClipGrad} clamps elements from above only.
 */
public final class Gradients {
    private Gradients() {}

    /** ‖g‖₂ over all parameters' gradients together. */
    public static double globalNorm(Collection<NDArray> params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray total = null;
            for (NDArray p : params) {
                if (!p.hasGradient()) continue;
                NDArray sq = p.getGradient().square().sum();
                total = total == null ? sq : total.add(sq);
            }
            return total == null ? 0 : Math.sqrt(total.getFloat());
        }
    }

    /**
     * Scales all gradients by min(1, maxNorm / ‖g‖) as {@code torch.nn.utils.clip_grad_norm_} does.
     *
     * @return the norm before clipping (what HF logs as {@code grad_norm})
     */
    public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (NDArray p : params) {
                    if (p.hasGradient()) p.getGradient().muli(scale);
                }
            }
        }
        return norm;
    }

    /** Sets every gradient to zero, ready for the next accumulation. */
    public static void zero(Collection<NDArray> params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray p : params) {
                if (p.hasGradient()) p.getGradient().muli(0f);
            }
        }
    }
}
