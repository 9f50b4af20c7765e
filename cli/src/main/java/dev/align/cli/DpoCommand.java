package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import dev.align.dpo.DpoConfig;
import dev.align.dpo.DpoTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align dpo}: direct preference optimisation and its variants. */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Direct preference optimisation (sigmoid, ipo, hinge, robust) on preferences.jsonl.")
final class DpoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    @Option(names = "--beta", description = "β (default 0.1)") Double beta;
    @Option(names = "--loss-type", description = "sigmoid (default), ipo, hinge or robust") String lossType;
    @Option(names = "--label-smoothing", description = "assumed share of flipped labels, cDPO/robust (default 0)")
    Double labelSmoothing;
    @Option(names = "--rpo-alpha", description = "weight of the NLL term on chosen responses (default 0: off)")
    Double rpoAlpha;
    @Option(names = "--ref-model", description = "Reference model directory (default: a frozen copy of --model).")
    Path refModel;
    @Option(names = "--precompute-ref-logprobs", description = "Score the reference once before training, then free it.")
    Boolean precompute;

    @Override
    public Integer call() {
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("beta", DpoConfig.DEFAULT_BETA);
        extras.put("loss_type", "sigmoid");
        extras.put("label_smoothing", 0.0);
        extras.put("rpo_alpha", 0.0);
        extras.put("precompute_ref_log_probs", false);
        extras.put("ref_model", null);
        TrainingConfig defaults = TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 1e-6), "TRL's DPOConfig");
        TrainingConfig config = options.resolve(defaults, extras);
        if (beta != null) extras.put("beta", beta);
        if (lossType != null) extras.put("loss_type", lossType);
        if (labelSmoothing != null) extras.put("label_smoothing", labelSmoothing);
        if (rpoAlpha != null) extras.put("rpo_alpha", rpoAlpha);
        if (precompute != null) extras.put("precompute_ref_log_probs", precompute);
        if (refModel != null) extras.put("ref_model", refModel.toString());
        DpoConfig dpo = new DpoConfig(config, TrainOptions.number(extras, "beta", options.config),
                DpoConfig.LossType.parse(String.valueOf(extras.get("loss_type"))),
                TrainOptions.number(extras, "label_smoothing", options.config),
                TrainOptions.number(extras, "rpo_alpha", options.config),
                Boolean.parseBoolean(String.valueOf(extras.get("precompute_ref_log_probs"))));
        Trainer.checkOutput(options.out, options.overwrite, options.resume);
        PrintWriter out = spec.commandLine().getOut();
        Object ref = extras.get("ref_model");
        try (Dataset train = Dataset.open(options.data, Format.PREFERENCE, options.skipBadLines);
                Dataset eval = options.evalData == null ? null
                        : Dataset.open(options.evalData, Format.PREFERENCE, options.skipBadLines);
                NDManager manager = OfflineDjl.newManager();
                TransformerPolicy model = ModelDirectory.load(options.model, manager)) {
            ReferencePolicy reference = ref == null ? null : ReferencePolicy.load(Path.of(ref.toString()), manager);
            if (dpo.precomputeRefLogProbs()) {
                out.printf("precomputing reference log-probs for %d pairs...%n",
                        train.size() + (eval == null ? 0 : eval.size()));
            }
            Trainer.Result result = new DpoTrainer(model, reference, dpo).train(train, eval, options.out,
                    options.resolved("dpo", config, extras), options.resume, Progress.Factory.CONSOLE);
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
