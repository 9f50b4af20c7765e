package dev.align.dpo;

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
    private final PolicyModel referenceModel;
    private final DpoConfig config;

    /**
     * @param reference the reference model (frozen), or null for a frozen copy of {@code model}; a
     *     given reference stays the caller's to close
     */
    public DpoTrainer(PolicyModel model, PolicyModel reference, DpoConfig config) {
        this.model = model;
        this.referenceModel = reference;
        this.config = config;
    }

    public Trainer.Result train(Dataset train, Dataset eval, Path out, Map<String, Object> resolvedConfig, boolean resume,
            Progress.Factory progress) {
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), config.training().maxLength(), false,
                config.maxPromptLength());
        int padId = model.tokenizer().padId();
        boolean normalised = config.lossType() == DpoConfig.LossType.IPO;
        PolicyModel ref = referenceModel != null ? referenceModel : model.frozenCopy();
        try (ReferenceLogProbs reference = new ReferenceLogProbs(ref, referenceModel == null, normalised)) {
            if (config.precomputeRefLogProbs()) {
                reference.precompute(encoder, padId, config.training().perDeviceTrainBatchSize(), train, eval);
            }
            DpoObjective objective = new DpoObjective(train, eval, encoder, config, reference, padId);
            return new Trainer("dpo", model, objective, config.training(), out, resolvedConfig, progress).train(resume);
        }
    }
}
