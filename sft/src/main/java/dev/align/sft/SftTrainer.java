package dev.align.sft;

import dev.align.core.model.PolicyModel;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import java.nio.file.Path;
import java.util.Map;

/** Supervised fine-tuning and pretraining, as TRL's SFTTrainer: the shared loop over {@link SftObjective}. */
public final class SftTrainer {
    private final PolicyModel model;
    private final SftConfig config;
    private SftObjective objective;

    public SftTrainer(PolicyModel model, SftConfig config) {
        this.model = model;
        this.config = config;
    }

    public Trainer.Result train(Dataset train, Dataset eval, Path out, Map<String, Object> resolvedConfig, boolean resume,
            Progress.Factory progress) {
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), config.training().maxLength(),
                config.lossOnPrompt() || config.allTokens());
        objective = new SftObjective(train, eval, encoder, model.tokenizer().padId(), config.training().maxLength(),
                config.packing());
        return new Trainer(config.allTokens() ? "pretrain" : "sft", model, objective, config.training(), out,
                resolvedConfig, progress).train(resume);
    }

    /** Examples cut at max_length among those trained on. */
    public int truncatedCount() {
        return objective == null ? 0 : objective.truncatedCount();
    }

    public int seenCount() {
        return objective == null ? 0 : objective.seenCount();
    }
}
