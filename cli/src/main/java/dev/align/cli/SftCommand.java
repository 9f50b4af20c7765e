package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.sft.SftConfig;
import dev.align.sft.SftTrainer;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align sft} and {@code align pretrain}: the same loop; pretraining trains on every token. */
abstract class SftCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    abstract boolean pretrain();

    boolean lossOnPrompt() {
        return false;
    }

    @Override
    public Integer call() {
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("packing", false);
        if (!pretrain()) extras.put("loss_on_prompt", false); // default; the YAML may set it, the flag wins
        TrainingConfig config = options.resolve(TrainingConfig.DEFAULTS, extras);
        if (lossOnPrompt()) extras.put("loss_on_prompt", true);
        Trainer.checkOutput(options.out, options.overwrite, options.resume);
        Format format = pretrain() ? Format.TEXT : Format.SFT;
        PrintWriter out = spec.commandLine().getOut();
        try (Dataset train = Dataset.open(options.data, format, options.skipBadLines);
                Dataset eval = options.evalData == null ? null : Dataset.open(options.evalData, format, options.skipBadLines);
                NDManager manager = OfflineDjl.newManager();
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            SftConfig sft = new SftConfig(config, Boolean.TRUE.equals(extras.get("loss_on_prompt")),
                    Boolean.TRUE.equals(extras.get("packing")), pretrain());
            SftTrainer trainer = new SftTrainer(model, sft);
            String name = pretrain() ? "pretrain" : "sft";
            Trainer.Result result = trainer.train(train, eval, options.out,
                    options.resolved(name, config, extras), options.resume, Progress.Factory.CONSOLE);
            out.printf("%s: %d steps, final loss %.4f; model and metrics.jsonl in %s%n", name, result.steps(),
                    result.finalLoss(), options.out);
            out.printf("examples truncated at max_length %d: %d of %d seen%n", config.maxLength(), trainer.truncatedCount(),
                    trainer.seenCount());
            options.reportSkipped(out, train);
        }
        return 0;
    }

    @Command(name = "sft", mixinStandardHelpOptions = true,
            description = "Supervised fine-tuning on prompt/completion or messages JSONL (loss on completions by default).")
    static final class Sft extends SftCommand {
        @Option(names = "--loss-on-prompt", description = "Train on prompt tokens too.") boolean lossOnPrompt;

        @Override
        boolean pretrain() {
            return false;
        }

        @Override
        boolean lossOnPrompt() {
            return lossOnPrompt;
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
