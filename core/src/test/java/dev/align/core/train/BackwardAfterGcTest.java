package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.align.core.EngineTest;
import dev.align.core.GarbageCollection;
import dev.align.core.OfflineDjl;
import dev.align.core.TinyModels;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradients must not depend on when the garbage collector runs. DJL backs a Java number given to an op
 * ({@code x.mul(0.5f)}) with a direct buffer it lets go of at once while autograd still reads it in
 * backward; a collection between forward and backward then turned gradients into garbage (Inf/NaN or
 * slightly off, differing between identical runs). See {@link Scalars}.
 */
class BackwardAfterGcTest extends EngineTest {

    /** Loss and every gradient of one forward/backward pass, with a full GC between the two when asked. */
    private static List<float[]> lossAndGradients(TransformerPolicy model, List<int[]> rows, boolean gcBeforeBackward) {
        List<float[]> out = new ArrayList<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray[] batch = TinyModels.batch(model.manager(), rows, model.tokenizer().padId(), false);
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                NDArray loss = CausalLmLoss.mean(model, batch[0], batch[1], null);
                if (gcBeforeBackward) GarbageCollection.collectAndFree();
                gc.backward(loss);
                out.add(new float[] {Scalars.toFloat(loss)});
            }
            for (NDArray p : model.parameters().values()) out.add(p.getGradient().toFloatArray());
            Gradients.zero(model.parameters().values());
        }
        return out;
    }

    @Test
    void gradientsAreBitIdenticalWhetherOrNotTheGarbageCollectorRanBeforeBackward() {
        List<int[]> rows = List.of(ByteLevelVocabulary.bytesOf("the cat sat on the mat."),
                ByteLevelVocabulary.bytesOf("two plus two is four, and so on."), ByteLevelVocabulary.bytesOf("hi"));
        for (TransformerPolicy model : TinyModels.all(manager, 3)) {
            model.setTrainable(true);
            List<float[]> expected = lossAndGradients(model, rows, false);
            for (int run = 0; run < 3; run++) {
                List<float[]> got = lossAndGradients(model, rows, true);
                for (int i = 0; i < expected.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i), model.config().modelType() + " run " + run + ": "
                            + (i == 0 ? "loss" : "gradient of " + model.parameters().keySet().toArray()[i - 1]));
                }
            }
            model.close();
        }
    }

    @Test
    void aConstantSurvivesTheGarbageCollectorUntilBackward() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = manager.create(new float[] {1f, -2f, 4f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = OfflineDjl.engine().newGradientCollector()) {
                NDArray y = x.mul(Scalars.constant(x, 3)).sum();
                GarbageCollection.collectAndFree();
                gc.backward(y);
            }
            assertArrayEquals(new float[] {3f, 3f, 3f}, x.getGradient().toFloatArray());
            assertEquals(0f, Scalars.toFloat(Scalars.constant(x, 0)));
        }
    }
}
