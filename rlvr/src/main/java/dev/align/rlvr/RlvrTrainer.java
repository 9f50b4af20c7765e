package dev.align.rlvr;

import dev.align.core.config.InvalidSettingException;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.PolicyModel;
import dev.align.core.train.MetricsPlot;
import dev.align.core.train.Progress;
import dev.align.core.train.SampleLog;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.Format;
import dev.align.datasets.PromptDataset;
import dev.align.core.io.Json;
import dev.align.core.train.OnlineObjective;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GRPO (with Dr. GRPO's and DAPO's variants) or RLOO from verifiable rewards: the shared online loop over {@link
 * RlvrObjective}. A reference policy (a frozen copy of the starting policy) is made only when β &gt; 0.
 *
 * <p>A run writes, besides what every trainer writes (model, {@code config.yaml}, {@code metrics.jsonl},
 * checkpoints), {@code samples.jsonl} every {@code sample_steps} steps and {@code training.png}: reward, KL,
 * held-out accuracy and completion length against step. Held-out prompts are evaluated every {@code eval_steps}
 * (at the end when that is 0) and, with {@code eval_on_start}, before the first step (metrics.jsonl's step 0).
 */
public final class RlvrTrainer {
    /** The curves of {@code training.png}. */
    public static final List<String> PLOTTED = List.of("reward", "kl", "eval/accuracy", "eval/accuracy/plain",
            "completions/mean_length", "frac_reward_zero_std", "entropy", "clip_ratio/region_mean");
    public static final String PLOT = "training.png";

    private final PolicyModel policy;
    private final RlvrConfig config;
    private final RlvrRewards rewards;

    /** @param policy the starting (SFT) policy, trained in place */
    public RlvrTrainer(PolicyModel policy, RlvrConfig config) {
        this.policy = policy;
        this.config = config;
        this.rewards = RlvrRewards.of(config);
    }

    /** The format training prompts are read in: verifiable rows, or any prompt rows when no function reads answers. */
    public Format dataFormat() {
        return rewards.needsAnswers() ? Format.VERIFIABLE : Format.PROMPT;
    }

    /**
     * Trains for {@code max_steps} generation steps (when it is not set: {@code num_train_epochs} passes over the
     * prompts).
     *
     * @param eval held-out verifiable prompts evaluated every {@code eval_steps}, or null
     */
    public Trainer.Result train(PromptDataset prompts, PromptDataset eval, Path out, Map<String, Object> resolvedConfig,
            boolean resume, Progress.Factory progress) {
        int room = Math.min(config.training().maxLength(), policy.config().maxPositions()) - config.maxCompletionLength();
        Integer maxPromptLength = config.maxPromptLength() != null ? config.maxPromptLength() : Integer.valueOf(room);
        if (maxPromptLength < 1 || maxPromptLength > room) {
            throw new InvalidSettingException("max_completion_length", config.maxCompletionLength() + " plus prompts of "
                    + Math.max(maxPromptLength, 1) + " tokens do not fit " + Math.min(config.training().maxLength(),
                    policy.config().maxPositions()) + " tokens (max_length and the model's positions)");
        }
        TrainingConfig training = config.training();
        if (training.maxSteps() <= 0) {
            long perStep = config.promptsPerStep();
            long steps = ((long) training.numTrainEpochs() * prompts.size() + perStep - 1) / perStep;
            training = training.with(Map.of("max_steps", (int) steps), "num_train_epochs");
        }
        ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), training.maxLength(), false, maxPromptLength);
        try (ReferencePolicy reference = config.betaOrDefault() > 0 ? ReferencePolicy.frozenCopyOf(policy) : null) {
            RlvrObjective objective = new RlvrObjective(prompts, eval, encoder, config, rewards, reference,
                    new SampleLog(out));
            Trainer.Result result = new Trainer(config.algo().name().toLowerCase(Locale.ROOT), policy, null,
                    objective, training, config.online(), out, resolvedConfig, progress).train(resume);
            MetricsPlot.write(out.resolve(Trainer.METRICS), out.resolve(PLOT), "align rlvr (" + config.algo().name()
                    .toLowerCase(Locale.ROOT) + ")", PLOTTED);
            return result;
        }
    }
}
