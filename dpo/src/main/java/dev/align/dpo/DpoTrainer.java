package dev.align.dpo;

import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.PolicyModel;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import java.nio.file.Path;
import java.util.Map;

/**
 * Direct preference optimisation, as TRL's DPOTrainer: the shared loop over {@link DpoObjective},
 * against a frozen reference, by default a copy of the starting model.
 */
public final class DpoTrainer {
    private final PolicyModel model;
    private final ReferencePolicy reference;
    private final DpoConfig config;

    /**
     * @param reference the reference policy (e.g. {@link ReferencePolicy#load} for {@code --ref-model},
     *     {@link ReferencePolicy#shared} for a model that serves other roles), or null for a frozen
     *     copy of {@code model}; {@link #train} closes it
     */
    public DpoTrainer(PolicyModel model, ReferencePolicy reference, DpoConfig config) {
        this.model = model;
        this.reference = reference;
        this.config = config;
    }

    public Trainer.Result train(Dataset train, Dataset eval, Path out, Map<String, Object> resolvedConfig, boolean resume,
            Progress.Factory progress) {
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), config.training().maxLength(), false,
                config.maxPromptLength());
        int padId = model.tokenizer().padId();
        boolean normalised = config.lossType() == DpoConfig.LossType.IPO;
        try (ReferencePolicy ref = reference != null ? reference : ReferencePolicy.frozenCopyOf(model)) {
            DpoObjective objective = new DpoObjective(train, eval, encoder, config, ref, padId);
            String note = objective.labelNote();
            if (note != null) System.err.println("dpo: " + note);
            if (config.precomputeRefLogProbs()) { // TRL's precompute_ref_log_probs: score every pair once, free the model
                int batchSize = Math.max(1, config.training().perDeviceTrainBatchSize());
                for (Dataset data : new Dataset[] {train, eval}) {
                    if (data != null) {
                        ref.precompute(data, data.size(), batchSize,
                                PreferenceBatch.referenceScores(data, encoder, padId, normalised));
                    }
                }
                ref.release();
            }
            return new Trainer("dpo", model, objective, config.training(), out, resolvedConfig, progress).train(resume);
        }
    }
}
