package dev.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.align.core.model.PolicyModel;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import java.util.HashMap;
import java.util.Map;

/**
 * log π_ref(y|x) of the chosen and rejected responses, from the frozen reference model: either
 * computed with each batch, or, with {@code precompute_ref_log_probs}, computed once for every
 * pair of the training and evaluation data, after which the reference model is released.
 */
final class ReferenceLogProbs implements AutoCloseable {
    private PolicyModel reference;
    private final boolean ownsReference;
    private final boolean lengthNormalised;
    private final Map<Dataset, float[]> cache = new HashMap<>(); // per dataset: (chosen, rejected) per pair

    ReferenceLogProbs(PolicyModel reference, boolean ownsReference, boolean lengthNormalised) {
        this.reference = reference;
        this.ownsReference = ownsReference;
        this.lengthNormalised = lengthNormalised;
    }

    /** Scores every pair of the datasets now and releases the reference model. */
    void precompute(ExampleEncoder encoder, int padId, int batchSize, Dataset... datasets) {
        for (Dataset data : datasets) {
            if (data == null || cache.containsKey(data)) continue;
            float[] values = new float[2 * data.size()];
            for (int start = 0; start < data.size(); start += batchSize) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    int n = Math.min(batchSize, data.size() - start);
                    int[] examples = new int[n];
                    for (int i = 0; i < n; i++) examples[i] = start + i;
                    PreferenceBatch batch = PreferenceBatch.of(reference.manager(), data, examples, encoder, padId);
                    float[] rows = batch.logProbs(reference, lengthNormalised).toFloatArray(); // chosen…, rejected…
                    for (int i = 0; i < n; i++) {
                        values[2 * (start + i)] = rows[i];
                        values[2 * (start + i) + 1] = rows[n + i];
                    }
                }
            }
            cache.put(data, values);
        }
        close();
    }

    /** Reference log-probs (2B) of a batch's rows: chosen…, rejected…. */
    NDArray of(NDManager manager, Dataset data, int[] examples, PreferenceBatch batch) {
        float[] values = cache.get(data);
        if (values == null) {
            if (reference == null) throw new IllegalStateException("reference log-probs were not precomputed for " + data.file());
            return batch.logProbs(reference, lengthNormalised).stopGradient();
        }
        float[] rows = new float[2 * examples.length];
        for (int i = 0; i < examples.length; i++) {
            rows[i] = values[2 * examples[i]];
            rows[examples.length + i] = values[2 * examples[i] + 1];
        }
        return manager.create(rows);
    }

    @Override
    public void close() {
        if (ownsReference && reference != null) reference.close();
        reference = null;
    }
}
