package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.config.ConfigKey;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.dpo.DpoConfig;
import dev.align.dpo.DpoTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align dpo}: direct preference optimisation and its variants. */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Direct preference optimisation (sigmoid, ipo, hinge, robust) on preferences.jsonl.")
final class DpoCommand implements Callable<Integer>, ConfiguredCommand<DpoCommand.Settings> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    /** DPO's settings plus the reference model, which the trainer takes as a model, not a setting. */
    record Settings(DpoConfig dpo,
            @ConfigKey(help = "reference model directory (default: a frozen copy of --model)") Path refModel) {}

    @Override
    public Class<Settings> configType() {
        return Settings.class;
    }

    @Override
    public Settings defaults() {
        return new Settings(DpoConfig.DEFAULTS, null);
    }

    @Override
    public Integer call() {
        Settings settings = options.resolve(this, spec);
        Path ref = settings.refModel();
        Map<String, Path> refInput = new HashMap<>();
        refInput.put("--ref-model", ref);
        options.checkPaths(refInput);
        DpoConfig dpo = settings.dpo();
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = options.device.newManager(); // --device cuda without CUDA fails here, before the data
                Dataset train = Dataset.open(options.data, Format.PREFERENCE, options.skipBadLines);
                Dataset eval = options.evalData == null ? null
                        : Dataset.open(options.evalData, Format.PREFERENCE, options.skipBadLines);
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            ReferencePolicy reference = ref == null ? null : ReferencePolicy.load(ref, manager);
            TrainOptions.checkTokenizerFits(model, options.model, model, options.model);
            if (reference != null) TrainOptions.checkTokenizerFits(model, options.model, reference.model(), ref); // it reads the policy's tokens
            TrainOptions.checkFirstRows(train, model, dpo.training().maxLength());
            TrainOptions.checkFirstRows(eval, model, dpo.training().maxLength());
            if (dpo.precomputeRefLogProbs()) {
                out.printf("precomputing reference log-probs for %d pairs...%n",
                        train.size() + (eval == null ? 0 : eval.size()));
            }
            Trainer.Result result = new DpoTrainer(model, reference, dpo).train(train, eval, options.out,
                    options.resolved("dpo", this, settings), options.resume, Progress.Factory.CONSOLE);
            out.printf("dpo: %d steps, final loss %.4f; model and metrics.jsonl in %s%n", result.steps(), result.finalLoss(),
                    options.out);
            Map<String, Object> last = result.log().isEmpty() ? Map.of() : result.log().get(result.log().size() - 1);
            if (last.containsKey("eval/rewards/accuracies")) {
                out.printf("eval: rewards/accuracies %.4f, rewards/margins %.4f%n", last.get("eval/rewards/accuracies"),
                        last.get("eval/rewards/margins"));
            }
            options.reportSkipped(out, train);
        }
        return 0;
    }
}
