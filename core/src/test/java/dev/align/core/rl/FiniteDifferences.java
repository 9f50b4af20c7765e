package dev.align.core.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align.core.OfflineDjl;
import dev.align.core.model.Scalars;
import java.util.function.Function;

/** Autograd's gradient of a scalar function of one input array against central differences, element by element. */
final class FiniteDifferences {
    private FiniteDifferences() {}

    /** The autograd gradient of loss at x, (x's shape), row-major. */
    static float[] gradient(NDManager manager, float[] x, Shape shape, Function<NDArray, NDArray> loss) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(x, shape);
            input.setRequiresGradient(true);
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                gc.backward(loss.apply(input));
            }
            return input.getGradient().toFloatArray();
        }
    }

    /** Asserts each ∂loss/∂xᵢ equals (loss(x + h eᵢ) − loss(x − h eᵢ)) / 2h within tolerance. */
    static void check(NDManager manager, float[] x, Shape shape, Function<NDArray, NDArray> loss, double h, double tolerance) {
        float[] analytic = gradient(manager, x, shape, loss);
        for (int i = 0; i < x.length; i++) {
            double numeric = (at(manager, x, shape, i, h, loss) - at(manager, x, shape, i, -h, loss)) / (2 * h);
            assertEquals(numeric, analytic[i], tolerance, "element " + i + ": autograd " + analytic[i] + " vs " + numeric);
        }
    }

    private static double at(NDManager manager, float[] x, Shape shape, int i, double h, Function<NDArray, NDArray> loss) {
        float[] moved = x.clone();
        moved[i] += (float) h;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return Scalars.toFloat(loss.apply(manager.create(moved, shape)));
        }
    }
}
