package dev.align.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.train.Gradients;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks a loss's autograd gradient against central finite differences along random directions of
 * the model's parameters: (L(θ + εv) − L(θ − εv)) / 2ε must equal ∇L·v.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * @param loss the scalar loss of the model (computed fresh on each call)
     * @param directions how many random directions to check
     * @param epsilon step along the unit-length gradient direction (10× that along random ones)
     * @param relativeTolerance allowed |numeric − analytic| / |analytic|, on top of the loss's float32 rounding
     */
    public static void check(PolicyModel model, Function<PolicyModel, NDArray> loss, int directions, double epsilon,
            double relativeTolerance, long seed) {
        List<NDArray> params = new ArrayList<>(model.parameters().values());
        Random random = new Random(seed);
        model.setTrainable(true);
        List<float[]> grads = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                gc.backward(loss.apply(model));
            }
            for (NDArray p : params) grads.add(p.getGradient().toFloatArray());
            Gradients.zero(params);
        } finally {
            model.setTrainable(false);
        }
        for (int d = 0; d < directions; d++) {
            List<float[]> original = new ArrayList<>(), direction = new ArrayList<>();
            double norm = 0;
            for (int i = 0; i < params.size(); i++) { // the first direction is the gradient itself, then random ones
                float[] v = new float[grads.get(i).length];
                for (int j = 0; j < v.length; j++) {
                    v[j] = d == 0 ? grads.get(i)[j] : (float) random.nextGaussian();
                    norm += (double) v[j] * v[j];
                }
                original.add(params.get(i).toFloatArray());
                direction.add(v);
            }
            double analytic = 0;
            for (int i = 0; i < params.size(); i++) { // unit-length direction
                float[] v = direction.get(i);
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) (v[j] / Math.sqrt(norm));
                    analytic += (double) grads.get(i)[j] * v[j];
                }
            }
            // Random directions change the loss far less than the gradient's own; a 10× longer step keeps
            // the difference well above float32 rounding of the loss.
            double step = d == 0 ? epsilon : 10 * epsilon;
            double plus = lossAt(model, params, original, direction, step, loss);
            double minus = lossAt(model, params, original, direction, -step, loss);
            restore(params, original);
            double numeric = (plus - minus) / (2 * step);
            // Finite differences are only as precise as the float32 loss: allow a few of its ulps per step.
            double rounding = 8 * Math.ulp((float) Math.max(Math.abs(plus), Math.abs(minus))) / (2 * step);
            assertEquals(analytic, numeric, relativeTolerance * Math.abs(analytic) + rounding,
                    "directional derivative " + d + ": autograd " + analytic + " vs finite differences " + numeric);
        }
    }

    private static double lossAt(PolicyModel model, List<NDArray> params, List<float[]> original, List<float[]> direction,
            double step, Function<PolicyModel, NDArray> loss) {
        for (int i = 0; i < params.size(); i++) {
            float[] w = original.get(i).clone();
            for (int j = 0; j < w.length; j++) w[j] += (float) (step * direction.get(i)[j]);
            params.get(i).set(w);
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return Scalars.toFloat(loss.apply(model));
        }
    }

    private static void restore(List<NDArray> params, List<float[]> original) {
        for (int i = 0; i < params.size(); i++) params.get(i).set(original.get(i));
    }
}
