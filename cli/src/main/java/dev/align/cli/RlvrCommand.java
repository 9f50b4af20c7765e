package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.BadInputException;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.Format;
import dev.align.datasets.PromptDataset;
import dev.align.rlvr.RlvrConfig;
import dev.align.rlvr.RlvrTrainer;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code align rlvr}: GRPO (Dr. GRPO, DAPO) or RLOO from verifiable rewards. */
@Command(name = "rlvr", mixinStandardHelpOptions = true,
        description = "Reinforcement learning from verifiable rewards (--algo grpo|rloo, --loss-type grpo|bnpo|dr_grpo|dapo)"
                + " on verifiable.jsonl; held-out accuracy on --eval-data.")
final class RlvrCommand implements Callable<Integer>, ConfiguredCommand<RlvrConfig> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    @Override
    public Class<RlvrConfig> configType() {
        return RlvrConfig.class;
    }

    @Override
    public RlvrConfig defaults() {
        return RlvrConfig.DEFAULTS;
    }

    @Override
    public Integer call() {
        RlvrConfig config = options.resolve(this, spec);
        options.checkPaths(Map.of());
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = options.device.newManager(); // --device cuda without CUDA fails here, before the data
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            RlvrTrainer trainer = new RlvrTrainer(model, config); // an unknown reward function fails here
            TrainOptions.checkTokenizerFits(model, options.model, model, options.model);
            try (PromptDataset train = PromptDataset.open(options.data, trainer.dataFormat(), options.skipBadLines);
                    PromptDataset eval = options.evalData == null ? null
                            : PromptDataset.open(options.evalData, Format.VERIFIABLE, options.skipBadLines)) {
                checkFirstRows(train, model, config);
                checkFirstRows(eval, model, config);
                Trainer.Result result = trainer.train(train, eval, options.out, options.resolved("rlvr", this, config),
                        options.resume, Progress.Factory.CONSOLE);
                Map<String, Object> last = result.log().isEmpty() ? Map.of() : result.log().get(result.log().size() - 1);
                out.printf("rlvr (%s): %d steps, final reward %s; model, metrics.jsonl, samples.jsonl and %s in %s%n",
                        config.algo().name().toLowerCase(java.util.Locale.ROOT), result.steps(), last.get("reward"),
                        RlvrTrainer.PLOT, options.out);
                if (last.containsKey("eval/accuracy")) out.printf("eval: accuracy %.4f%n", last.get("eval/accuracy"));
                if (!train.skippedLines().isEmpty()) {
                    out.printf("skipped %d bad lines of %s (first: %s)%n", train.skippedLines().size(), options.data,
                            train.skippedLines().get(0));
                }
            }
        }
        return 0;
    }

    /** Renders the first rows' prompts with the model's template now, so a bad row fails before any work. */
    private static void checkFirstRows(PromptDataset data, TransformerPolicy model, RlvrConfig config) {
        if (data == null) return;
        ExampleEncoder encoder = new ExampleEncoder(model.tokenizer(), config.training().maxLength(), false);
        for (int i = 0; i < Math.min(TrainOptions.FIRST_ROWS, data.size()); i++) data.promptIds(i, encoder);
        if (data.size() == 0) throw BadInputException.in(data.file(), "no prompts");
    }
}
