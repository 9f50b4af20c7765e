package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.sft.SftConfig;
import dev.align.sft.SftTrainer;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align sft} and {@code align pretrain}: the same loop; pretraining trains on every token. */
abstract class SftCommand implements Callable<Integer>, ConfiguredCommand<SftConfig> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    abstract boolean pretrain();

    @Override
    public Class<SftConfig> configType() {
        return SftConfig.class;
    }

    @Override
    public SftConfig defaults() {
        return pretrain() ? SftConfig.PRETRAIN_DEFAULTS : SftConfig.DEFAULTS;
    }

    @Override
    public Integer call() {
        SftConfig sft = options.resolve(this, spec);
        options.checkPaths(Map.of());
        String name = pretrain() ? "pretrain" : "sft";
        Format format = pretrain() ? Format.TEXT : Format.SFT;
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = options.device.newManager(); // --device cuda without CUDA fails here, before the data
                Dataset train = Dataset.open(options.data, format, options.skipBadLines);
                Dataset eval = options.evalData == null ? null : Dataset.open(options.evalData, format, options.skipBadLines);
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            TrainOptions.checkTokenizerFits(model, options.model, model, options.model);
            TrainOptions.checkFirstRows(train, model, sft.training().maxLength());
            TrainOptions.checkFirstRows(eval, model, sft.training().maxLength());
            SftTrainer trainer = new SftTrainer(model, sft);
            Trainer.Result result = trainer.train(train, eval, options.out, options.resolved(name, this, sft), options.resume,
                    Progress.Factory.CONSOLE);
            out.printf("%s: %d steps, final loss %.4f; model and metrics.jsonl in %s%n", name, result.steps(),
                    result.finalLoss(), options.out);
            if (trainer.truncatedCount() > 0) {
                out.printf("examples truncated at max_length %d: %d of %d seen%n", sft.training().maxLength(),
                        trainer.truncatedCount(), trainer.seenCount());
            }
            if (trainer.untrainedCount() > 0) {
                out.printf("examples with no trained token left at max_length %d (trained on nothing): %d of %d seen%n",
                        sft.training().maxLength(), trainer.untrainedCount(), trainer.seenCount());
            }
            options.reportSkipped(out, train);
        }
        return 0;
    }

    @Command(name = "sft", mixinStandardHelpOptions = true,
            description = "Supervised fine-tuning on prompt/completion or messages JSONL (loss on completions by default).")
    static final class Sft extends SftCommand {
        @Override
        boolean pretrain() {
            return false;
        }
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Next-token training on every token of a text corpus (.txt lines or {\"text\"} JSONL).")
    static final class Pretrain extends SftCommand {
        @Override
        boolean pretrain() {
            return true;
        }
    }
}
