package dev.align.ppo;

import ai.djl.ndarray.index.NDIndex;
import dev.align.core.BadInputException;
import dev.align.core.config.InvalidSettingException;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.train.MetricsPlot;
import dev.align.core.train.Progress;
import dev.align.core.train.SampleLog;
import dev.align.core.train.Trainer;
import dev.align.core.train.TrainingConfig;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.PromptDataset;
import dev.align.datasets.RewardModelReward;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * PPO-RLHF against a trained reward model, as TRL's PPOTrainer: the shared online loop over {@link PpoObjective}, with
 * a frozen copy of the starting (SFT) policy as the KL reference and a critic.
 *
 * <p><b>The critic.</b> By default a value head on a backbone of its own, started from the reward model as TRL loads
 * its value model from the reward model's weights: the reward model's backbone, its score head as the value head. With
 * {@code normalize_reward} the head is rescaled to the whitened score the returns are built from (weight w/std, bias
 * −mean/std), so the critic starts on the scale of its targets; raw scores keep w and bias 0. That needs the reward model to read the policy's tokens (the same vocabulary) and to hold the policy's sequences
 * ({@code critic_init auto} falls back to the policy's backbone with a fresh value head otherwise). With {@code
 * shared_backbone} the value head sits on the policy itself. A separate critic is saved under {@code OUT/critic}.
 *
 * <p>A run writes, besides what every trainer writes (model, {@code config.yaml}, {@code metrics.jsonl},
 * checkpoints), {@code samples.jsonl} every {@code sample_steps} steps and {@code training.png}, the curves of the
 * score, the RLHF reward, the KL and the held-out score.
 */
public final class PpoTrainer {
    /** The curves of {@code training.png}. */
    public static final List<String> PLOTTED = List.of("objective/scores", "objective/rlhf_reward", "objective/kl",
            "objective/entropy", "eval/objective/scores", "eval/objective/kl", "loss/value_avg", "objective/kl_coef");
    public static final String PLOT = "training.png";

    private final PolicyModel policy;
    private final PolicyModel rewardModel;
    private final PpoConfig config;

    /**
     * @param policy the starting (SFT) policy, trained in place
     * @param rewardModel a model with a score head; frozen here
     */
    public PpoTrainer(PolicyModel policy, PolicyModel rewardModel, PpoConfig config) {
        this.policy = policy;
        this.rewardModel = rewardModel;
        this.config = config;
    }

    /**
     * Refuses a reward model that cannot serve: no score head, no statistics to whiten with (under {@code
     * normalize_reward}), or, with {@code critic_init reward_model}, a vocabulary or length the critic cannot read the
     * policy's sequences with. One line each, naming the reward model's files.
     */
    public void check() {
        Path dir = rewardModel.source() == null ? Path.of("reward model") : rewardModel.source();
        if (!rewardModel.hasScoreHead()) {
            throw BadInputException.in(dir.resolve(ModelDirectory.WEIGHTS), "no score head (" + TransformerPolicy.SCORE_WEIGHT
                    + "): not a reward model; train one with 'align rm'");
        }
        if (config.normalizeReward() && RewardStatistics.of(rewardModel.config()) == null) {
            throw BadInputException.in(dir.resolve(ModelDirectory.CONFIG), "no 'mean' and 'std' to whiten the score with"
                    + " ('align rm' records them); set normalize_reward false for raw scores");
        }
        if (!config.sharedBackbone() && config.criticInit() == PpoConfig.CriticInit.REWARD_MODEL) {
            if (!rewardModel.tokenizer().sameVocabulary(policy.tokenizer())) {
                throw BadInputException.in(dir.resolve("tokenizer.json"), "the reward model's vocabulary differs from the "
                        + "policy's, so a critic started from it cannot read the policy's tokens; set critic_init policy");
            }
            if (rewardModel.config().maxPositions() < sequenceLength()) {
                throw BadInputException.in(dir.resolve(ModelDirectory.CONFIG), "holds " + rewardModel.config().maxPositions()
                        + " positions but the policy's sequences take up to " + sequenceLength() + "; set critic_init policy");
            }
        }
    }

    /** Whether a separate critic starts from the reward model. */
    public boolean criticFromRewardModel() {
        return switch (config.criticInit()) {
            case REWARD_MODEL -> true;
            case POLICY -> false;
            case AUTO -> rewardModel.tokenizer().sameVocabulary(policy.tokenizer())
                    && rewardModel.config().maxPositions() >= sequenceLength();
        };
    }

    /** Prompt plus completion tokens at most. */
    private int sequenceLength() {
        return Math.min(config.training().maxLength(), policy.config().maxPositions());
    }

    /**
     * Trains for {@code max_steps} steps (when it is not set: {@code num_train_epochs} passes over the prompts, TRL's
     * {@code total_episodes}).
     *
     * @param eval held-out prompts scored every {@code eval_steps} and at the last step, or null
     */
    public Trainer.Result train(PromptDataset prompts, PromptDataset eval, Path out, Map<String, Object> resolvedConfig,
            boolean resume, Progress.Factory progress) {
        check();
        int maxPromptLength = sequenceLength() - config.responseLength();
        if (maxPromptLength < 1) {
            throw new InvalidSettingException("response_length", config.responseLength() + " leaves no room for a prompt in "
                    + sequenceLength() + " tokens (max_length and the model's positions)");
        }
        TrainingConfig training = config.training();
        if (training.maxSteps() <= 0) {
            long episodes = (long) training.numTrainEpochs() * prompts.size();
            training = training.with(Map.of("max_steps", (int) ((episodes + config.localBatchSize() - 1) / config.localBatchSize())),
                    "num_train_epochs");
        }
        ExampleEncoder encoder = new ExampleEncoder(policy.tokenizer(), training.maxLength(), false, maxPromptLength);
        rewardModel.setTrainable(false);
        RewardModelReward reward = config.normalizeReward() ? RewardModelReward.whitened(rewardModel, PpoObjective.FORWARD_ROWS)
                : new RewardModelReward(rewardModel, null, PpoObjective.FORWARD_ROWS);
        long seed = training.seed();
        try (ReferencePolicy reference = ReferencePolicy.frozenCopyOf(policy);
                PolicyModel critic = config.sharedBackbone() ? null : critic(seed)) {
            if (config.sharedBackbone() && !policy.hasValueHead()) policy.addValueHead(seed);
            PpoObjective objective = new PpoObjective(prompts, eval, encoder, config, reference, reward, new SampleLog(out));
            Trainer.Result result = new Trainer("ppo", policy, critic, objective, training, config.online(), out,
                    resolvedConfig, progress).train(resume);
            MetricsPlot.write(out.resolve(Trainer.METRICS), out.resolve(PLOT), "align ppo", PLOTTED);
            return result;
        }
    }

    /** A critic of its own: the reward model's backbone with its score head as the value head, or the policy's. */
    PolicyModel critic(long seed) {
        if (!criticFromRewardModel()) {
            PolicyModel c = policy.frozenCopy();
            c.addValueHead(seed);
            return c;
        }
        PolicyModel c = rewardModel.frozenCopy();
        c.addValueHead(seed);
        Map<String, ai.djl.ndarray.NDArray> p = c.parameters();
        ai.djl.ndarray.NDArray w = p.get(TransformerPolicy.SCORE_WEIGHT), v = p.get(TransformerPolicy.VALUE_WEIGHT);
        RewardStatistics whitening = config.normalizeReward() ? RewardStatistics.of(rewardModel.config()) : null;
        if (whitening == null) {
            v.set(new NDIndex("..."), w); // raw scores: V = score, bias 0
        } else { // V = (w·h − mean) / std: the whitened score the returns are built from
            double std = Math.max(whitening.std(), 1e-8); // as RewardStatistics.whiten
            v.set(new NDIndex("..."), w.div((float) std));
            p.get(TransformerPolicy.VALUE_BIAS).set(new NDIndex("..."), (float) (-whitening.mean() / std));
        }
        return c;
    }
}
