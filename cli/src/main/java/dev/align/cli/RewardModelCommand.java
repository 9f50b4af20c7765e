package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.rewardmodel.RewardConfig;
import dev.align.rewardmodel.RewardTrainer;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align rm}: a reward model from preference pairs or ranked lists. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Train a reward model (scalar head on the policy backbone) on preferences.jsonl or rankings.jsonl.")
final class RewardModelCommand implements Callable<Integer>, ConfiguredCommand<RewardConfig> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    @Override
    public Class<RewardConfig> configType() {
        return RewardConfig.class;
    }

    @Override
    public RewardConfig defaults() {
        return RewardConfig.DEFAULTS;
    }

    @Override
    public Integer call() {
        RewardConfig rm = options.resolve(this, spec);
        options.checkPaths(Map.of());
        PrintWriter out = spec.commandLine().getOut();
        Format format = Format.of(options.data, Format.PREFERENCE, Format.RANKED);
        try (NDManager manager = options.device.newManager(); // --device cuda without CUDA fails here, before the data
                Dataset train = Dataset.open(options.data, format, options.skipBadLines);
                Dataset eval = options.evalData == null ? null
                        : Dataset.open(options.evalData, Format.of(options.evalData, Format.PREFERENCE, Format.RANKED),
                                options.skipBadLines);
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            TrainOptions.checkTokenizerFits(model, options.model, model, options.model);
            TrainOptions.checkFirstRows(train, model, rm.training().maxLength());
            TrainOptions.checkFirstRows(eval, model, rm.training().maxLength());
            RewardTrainer trainer = new RewardTrainer(model, rm);
            Trainer.Result result = trainer.train(train, eval, options.out, options.resolved("rm", this, rm),
                    options.resume, Progress.Factory.CONSOLE);
            out.printf("rm: %d steps, final loss %.4f; reward model and metrics.jsonl in %s%n", result.steps(),
                    result.finalLoss(), options.out);
            Map<String, Object> last = result.log().isEmpty() ? Map.of() : result.log().get(result.log().size() - 1);
            if (last.containsKey("eval/accuracy")) {
                out.printf("eval: accuracy %.4f, margin %.4f%n", last.get("eval/accuracy"), last.get("eval/margin"));
            }
            out.printf("reward statistics on the training responses (config.json mean/std, for PPO): mean %.4f, std %.4f%n",
                    trainer.statistics().mean(), trainer.statistics().std());
            options.reportSkipped(out, train);
        }
        return 0;
    }
}
