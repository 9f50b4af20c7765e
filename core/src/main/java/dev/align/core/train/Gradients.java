package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.align.core.model.Scalars;
import java.util.Collection;

/**
 * Gradient bookkeeping DJL leaves to us: its PyTorch collector accumulates gradients across backward
 * passes and never zeroes them, and its {@code optClipGrad} clamps elements from above only.
 */
public final class Gradients {
    private Gradients() {}

    /**
     * ‖g‖₂ over all parameters' gradients together: float32 sums of squares on the device, one host read.
     */
    public static double globalNorm(Collection<NDArray> params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList squares = new NDList();
            for (NDArray p : params) {
                if (p.hasGradient()) squares.add(p.getGradient().square().sum());
            }
            return squares.isEmpty() ? 0 : Math.sqrt(Scalars.toFloat(NDArrays.stack(squares).sum()));
        }
    }

    /**
     * Scales all gradients by min(1, maxNorm / ‖g‖) as {@code torch.nn.utils.clip_grad_norm_} does.
     *
     * @return the norm before clipping (what HF logs as {@code grad_norm})
     */
    public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
        double norm = globalNorm(params);
        clip(params, norm, maxNorm);
        return norm;
    }

    /** Scales gradients whose global norm is already known to at most {@code maxNorm}. */
    public static void clip(Collection<NDArray> params, double norm, double maxNorm) {
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (NDArray p : params) {
                    if (p.hasGradient()) p.getGradient().muli(scale);
                }
            }
        }
    }

    /**
     * Sets every gradient to zero, ready for the next accumulation. It fills rather than multiplies by
     * zero: Inf·0 = NaN, so a skipped non-finite step would otherwise poison every later gradient.
     */
    public static void zero(Collection<NDArray> params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray p : params) {
                if (p.hasGradient()) p.getGradient().set(ALL, 0f);
            }
        }
    }

    private static final NDIndex ALL = new NDIndex("...");
}
