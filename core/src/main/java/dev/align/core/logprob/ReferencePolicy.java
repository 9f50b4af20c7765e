package dev.align.core.logprob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.OfflineDjl;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The frozen reference policy π_ref that DPO's implicit reward and PPO's and GRPO's KL penalty are
 * measured against. It is held in one of three ways:
 *
 * <ul>
 *   <li>live and owned: a frozen copy of the starting policy ({@link #frozenCopyOf}, TRL's default
 *       when no {@code ref_model} is given) or a separately loaded model ({@link #load}, {@code
 *       --ref-model DIR}); closed with this object;
 *   <li>shared ({@link #shared}): an already-loaded frozen model that also serves other roles (a
 *       base model loaded once); never closed here;
 *   <li>precomputed: any of the above scores every example of a dataset once ({@link #precompute},
 *       TRL's {@code precompute_ref_log_probs}), keyed by dataset and example index, and then
 *       {@link #release}s the model; lookups read the table from then on.
 * </ul>
 *
 * <p>The reference never records gradients, also when asked from inside a {@code
 * GradientCollector} (like {@code torch.no_grad()}), so its passes run in micro-batches.
 */
public final class ReferencePolicy implements AutoCloseable {
    private PolicyModel model;
    private final boolean owned;
    private final Map<Object, Table> precomputed = new HashMap<>();

    /** Scores of some examples by the reference, (n, K) float32, K the same for every call on a key. */
    @FunctionalInterface
    public interface ExampleScores {
        NDArray score(ReferencePolicy reference, int[] examples);
    }

    private record Table(float[] values, int width) {}

    private ReferencePolicy(PolicyModel model, boolean owned) {
        this.model = model;
        this.owned = owned;
    }

    /** A frozen copy of the starting policy, owned. */
    public static ReferencePolicy frozenCopyOf(PolicyModel policy) {
        return new ReferencePolicy(policy.frozenCopy(), true);
    }

    /** A reference model of its own, loaded from a model directory; owned. */
    public static ReferencePolicy load(Path dir, NDManager manager) {
        return owning(ModelDirectory.load(dir, manager));
    }

    /** Takes ownership of a model and freezes it. */
    public static ReferencePolicy owning(PolicyModel model) {
        model.setTrainable(false);
        return new ReferencePolicy(model, true);
    }

    /** Uses a frozen model it neither owns nor closes. */
    public static ReferencePolicy shared(PolicyModel model) {
        return new ReferencePolicy(model, false);
    }

    /** The reference model; fails once released. */
    public PolicyModel model() {
        if (model == null) throw new IllegalStateException("the reference model was released after precomputing");
        return model;
    }

    /** Whether the model is still held (not released). */
    public boolean isLive() {
        return model != null;
    }

    /** Reference log-probs of full sequences, (B, T−1): {@link LogProbs#sequences} without gradients. */
    public TokenLogProbs sequences(LogProbs logProbs, NDArray ids, NDArray attention, NDArray lossMask) {
        return OfflineDjl.withoutRecording(() -> logProbs.sequences(model(), ids, attention, lossMask));
    }

    /** Reference log-probs of completions, (B, C): {@link LogProbs#completions} without gradients. */
    public TokenLogProbs completions(LogProbs logProbs, CompletionBatch batch) {
        return OfflineDjl.withoutRecording(() -> logProbs.completions(model(), batch));
    }

    /**
     * Scores examples 0 … size−1 under {@code key} (a dataset) now, {@code batchSize} at a time, and
     * keeps them for {@link #scores}. Call {@link #release} when every dataset is done.
     */
    public void precompute(Object key, int size, int batchSize, ExampleScores scores) {
        if (precomputed.containsKey(key)) return;
        float[] values = null;
        int width = 0;
        for (int start = 0; start < size; start += batchSize) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                int n = Math.min(batchSize, size - start);
                int[] examples = new int[n];
                for (int i = 0; i < n; i++) examples[i] = start + i;
                NDArray s = OfflineDjl.withoutRecording(() -> scores.score(this, examples)); // (n, K)
                if (values == null) {
                    width = (int) s.getShape().get(1);
                    values = new float[size * width];
                }
                System.arraycopy(s.toFloatArray(), 0, values, start * width, n * width);
            }
        }
        precomputed.put(key, new Table(values == null ? new float[0] : values, width));
    }

    /**
     * Scores (n, K) of examples under {@code key}: from the table if precomputed, otherwise by {@code
     * live} on the model now (without gradients).
     */
    public NDArray scores(NDManager manager, Object key, int[] examples, ExampleScores live) {
        Table table = precomputed.get(key);
        if (table == null) {
            if (model == null) throw new IllegalStateException("reference scores were not precomputed for " + key);
            return OfflineDjl.withoutRecording(() -> live.score(this, examples));
        }
        float[] rows = new float[examples.length * table.width];
        for (int i = 0; i < examples.length; i++) {
            System.arraycopy(table.values, examples[i] * table.width, rows, i * table.width, table.width);
        }
        return manager.create(rows, new Shape(examples.length, table.width));
    }

    /** Lets go of the model (closing it if owned); precomputed scores stay. */
    public void release() {
        if (owned && model != null) model.close();
        model = null;
    }

    @Override
    public void close() {
        release();
    }
}
