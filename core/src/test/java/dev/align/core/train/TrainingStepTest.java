package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.align.core.OfflineDjl;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingStepTest extends EngineTest {

    private static double step(TransformerPolicy model, AdamW adam, NDArray[] batch, double lr) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double loss;
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                NDArray l = CausalLmLoss.mean(model, batch[0], batch[1], null);
                gc.backward(l);
                loss = l.getFloat();
            }
            Gradients.clipGlobalNorm(model.parameters().values(), 1.0);
            adam.step(model.parameters(), lr);
            Gradients.zero(model.parameters().values());
            return loss;
        }
    }

    @Test
    void adamWTrainingMemorisesASentenceForEveryArchitecture() {
        List<int[]> rows = List.of(ByteLevelVocabulary.bytesOf("the cat sat on the mat."),
                ByteLevelVocabulary.bytesOf("two plus two is four."));
        for (TransformerPolicy model : TinyModels.all(manager, 3)) {
            model.setTrainable(true);
            NDArray[] batch = TinyModels.batch(manager, rows, model.tokenizer().padId(), false);
            try (AdamW adam = new AdamW(manager, new AdamW.Config(0.9, 0.999, 1e-8, 0.01))) {
                double first = step(model, adam, batch, 1e-2);
                assertEquals(Math.log(ByteLevelVocabulary.SIZE), first, 0.1, "an untrained model starts near uniform");
                double last = first;
                for (int i = 0; i < 100; i++) last = step(model, adam, batch, 1e-2);
                assertTrue(last < 0.5, model.config().modelType() + ": loss " + first + " -> " + last);
                assertEquals(101, adam.stepCount());
            }
            model.close();
        }
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        NDArray a = manager.create(new float[] {3f, 0f});
        NDArray b = manager.create(new float[] {4f});
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
            // d/da = a, d/db = b for ½(‖a‖² + ‖b‖²): gradient norm = ‖(3, 0, 4)‖ = 5
            gc.backward(a.square().sum().add(b.square().sum()).mul(Scalars.constant(a, 0.5)));
        }
        List<NDArray> params = List.of(a, b);
        assertEquals(5.0, Gradients.clipGlobalNorm(params, 1.0), 1e-6);
        assertEquals(1.0, Gradients.globalNorm(params), 1e-5);
        assertEquals(0.6f, a.getGradient().getFloat(0), 1e-5f);
        assertEquals(0.8f, b.getGradient().getFloat(0), 1e-5f);
        Gradients.zero(params);
        assertEquals(0.0, Gradients.globalNorm(params), 0);
    }

    @Test
    void gradientsAccumulateAcrossBackwardPassesUntilZeroed() {
        NDArray w = manager.create(new float[] {2f});
        w.setRequiresGradient(true);
        for (int i = 0; i < 2; i++) {
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                gc.backward(w.mul(Scalars.constant(w, 3)).sum());
            }
        }
        assertEquals(6f, w.getGradient().getFloat(0), 1e-6f, "DJL's PyTorch collector accumulates");
        Gradients.zero(List.of(w));
        assertEquals(0f, w.getGradient().getFloat(0));
    }

    @Test
    void zeroingClearsNonFiniteGradients() {
        NDArray w = manager.create(new float[] {2f, 0f, 1f});
        w.setRequiresGradient(true);
        try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
            gc.backward(w.mul(w).sum().mul(Float.POSITIVE_INFINITY)); // d/dw = 2w·Inf: Inf, NaN (0·Inf), Inf
        }
        assertTrue(Double.isNaN(Gradients.globalNorm(List.of(w))));
        Gradients.zero(List.of(w));
        assertArrayEquals(new float[] {0f, 0f, 0f}, w.getGradient().toFloatArray(), "filled, not multiplied by zero");
    }
}
