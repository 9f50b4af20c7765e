package dev.align.sft;

import dev.align.core.BadInputException;
import dev.align.core.model.PolicyModel;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.ExampleEncoder;
import java.nio.file.Path;
import java.util.Map;

/** Supervised fine-tuning and pretraining, as TRL's SFTTrainer: the shared loop over {@link SftObjective}. */
public final class SftTrainer {
    /** Rows encoded before training to find one with a trained token (see {@link #train}). */
    public static final int FIRST_ROWS = 16;

    private final PolicyModel model;
    private final SftConfig config;
    private SftObjective objective;

    public SftTrainer(PolicyModel model, SftConfig config) {
        this.model = model;
        this.config = config;
    }

    /**
     * Trains; first refuses data whose first {@link #FIRST_ROWS} rows all lose every trained token to
     * max_length (a run that would log loss 0 and learn nothing), a one-line {@link BadInputException}.
     */
    public Trainer.Result train(Dataset train, Dataset eval, Path out, Map<String, Object> resolvedConfig, boolean resume,
            Progress.Factory progress) {
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), config.training().maxLength(),
                config.lossOnPrompt() || config.allTokens());
        checkSomethingToTrain(train, encoder);
        objective = new SftObjective(train, eval, encoder, model.tokenizer().padId(), config.training().maxLength(),
                config.packing());
        return new Trainer(config.allTokens() ? "pretrain" : "sft", model, objective, config.training(), out,
                resolvedConfig, progress).train(resume);
    }

    private void checkSomethingToTrain(Dataset train, ExampleEncoder encoder) {
        int n = Math.min(FIRST_ROWS, train.size());
        for (int i = 0; i < n; i++) {
            if (SftObjective.hasTrainedTarget(encoder.encode(train.get(i)))) return;
        }
        if (n > 0) {
            throw BadInputException.in(train.file(), "none of the first " + n + " rows has a trained token left after"
                    + " truncation at max_length " + config.training().maxLength() + "; raise --max-length");
        }
    }

    /** Examples among those trained on with no trained token left after truncation. */
    public int untrainedCount() {
        return objective == null ? 0 : objective.untrainedCount();
    }

    /** Examples cut at max_length among those trained on. */
    public int truncatedCount() {
        return objective == null ? 0 : objective.truncatedCount();
    }

    public int seenCount() {
        return objective == null ? 0 : objective.seenCount();
    }
}
