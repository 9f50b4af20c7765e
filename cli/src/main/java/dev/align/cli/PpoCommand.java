package dev.align.cli;

import ai.djl.ndarray.NDManager;
import dev.align.core.BadInputException;
import dev.align.core.config.ConfigKey;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Example;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.Format;
import dev.align.datasets.PromptDataset;
import dev.align.ppo.PpoConfig;
import dev.align.ppo.PpoTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code align ppo}: PPO-RLHF of an SFT policy against a reward model, with a KL penalty and a critic. */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = "PPO with a per-token KL penalty against a reward model (TRL's PPOTrainer) on prompts.jsonl.")
final class PpoCommand implements Callable<Integer>, ConfiguredCommand<PpoCommand.Settings> {
    @Spec CommandSpec spec;
    @Mixin TrainOptions options;

    /** PPO's settings plus the reward model, which the trainer takes as a model, not a setting. */
    record Settings(PpoConfig ppo, @ConfigKey(help = "reward model directory (align rm), required") Path rewardModel) {}

    @Override
    public Class<Settings> configType() {
        return Settings.class;
    }

    @Override
    public Settings defaults() {
        return new Settings(PpoConfig.DEFAULTS, null);
    }

    @Override
    public Integer call() {
        Settings settings = options.resolve(this, spec);
        Path rm = settings.rewardModel();
        if (rm == null) throw new BadInputException("missing required option '--reward-model' (or key 'reward_model' in --config)");
        Map<String, Path> inputs = new HashMap<>();
        inputs.put("--reward-model", rm);
        options.checkPaths(inputs);
        PpoConfig ppo = settings.ppo();
        PrintWriter out = spec.commandLine().getOut();
        try (NDManager manager = options.device.newManager();
                PromptDataset prompts = PromptDataset.open(options.data, Format.PROMPT, options.skipBadLines);
                PromptDataset eval = options.evalData == null ? null
                        : PromptDataset.open(options.evalData, Format.PROMPT, options.skipBadLines);
                TransformerPolicy policy = ModelDirectory.load(options.model, manager);
                TransformerPolicy rewardModel = ModelDirectory.load(rm, manager)) {
            TrainOptions.checkTokenizerFits(policy, options.model, policy, options.model);
            TrainOptions.checkTokenizerFits(rewardModel, rm, rewardModel, rm);
            checkFirstPrompts(prompts, policy, rewardModel, ppo.training().maxLength());
            checkFirstPrompts(eval, policy, rewardModel, ppo.training().maxLength());
            PpoTrainer trainer = new PpoTrainer(policy, rewardModel, ppo);
            trainer.check();
            if (!ppo.sharedBackbone()) {
                out.printf("critic: a value head on a copy of the %s%n", trainer.criticFromRewardModel() ? "reward model" : "policy");
            }
            Map<String, Object> resolved = options.resolved("ppo", this, settings);
            Trainer.Result result = trainer.train(prompts, eval, options.out, resolved, options.resume, Progress.Factory.CONSOLE);
            out.printf("ppo: %d steps; model%s, metrics.jsonl, samples.jsonl and %s in %s%n", result.steps(),
                    ppo.sharedBackbone() ? " (with the value head)" : ", critic/", PpoTrainer.PLOT, options.out);
            Map<String, Object> last = result.log().isEmpty() ? Map.of() : result.log().get(result.log().size() - 1);
            if (last.containsKey("objective/scores")) {
                out.printf("last step: objective/scores %.4f, objective/kl %.4f%n", last.get("objective/scores"),
                        last.get("objective/kl"));
            }
            if (last.containsKey("eval/objective/scores")) {
                out.printf("eval: objective/scores %.4f, objective/kl %.4f%n", last.get("eval/objective/scores"),
                        last.get("eval/objective/kl"));
            }
            if (!prompts.skippedLines().isEmpty()) {
                int n = prompts.skippedLines().size();
                out.printf("skipped %d bad line%s of %s (first: %s)%n", n, n == 1 ? "" : "s", options.data,
                        prompts.skippedLines().get(0));
            }
        }
        return 0;
    }

    /**
     * Encodes the first prompts as the policy will be fed them and as the reward model will score them (with its own
     * chat template), as {@link TrainOptions#checkFirstRows} does for other data, so a template that cannot render them
     * fails now, naming the line, before anything is written.
     */
    static void checkFirstPrompts(PromptDataset data, TransformerPolicy policy, TransformerPolicy rewardModel, int maxLength) {
        if (data == null) return;
        ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), maxLength, false);
        ExampleEncoder scored = new ExampleEncoder(rewardModel.tokenizer(), Integer.MAX_VALUE, false);
        for (int i = 0; i < Math.min(TrainOptions.FIRST_ROWS, data.size()); i++) {
            data.promptIds(i, encoder);
            try {
                scored.promptCompletion(data.row(i).prompt(), Example.Turns.of(""));
            } catch (BadInputException e) {
                throw BadInputException.at(data.file(), data.lineNumber(i), "prompt", "reward model: " + e.getMessage());
            }
        }
    }
}
