package dev.align.rewardmodel;

import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.train.Progress;
import dev.align.core.train.Trainer;
import dev.align.datasets.Dataset;
import dev.align.datasets.ResponseScorer;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reward modelling, as TRL's RewardTrainer: the policy backbone plus a scalar head ({@code
 * score.weight}, added fresh if the model has none) read at the last real token, trained on
 * preference pairs or ranked lists with the shared loop. After training, the mean and standard
 * deviation of the rewards of every training response (of the rows kept: rows longer than
 * max_length are dropped) are recorded in {@code config.json} for PPO.
 */
public final class RewardTrainer {
    private final PolicyModel model;
    private final RewardConfig config;
    private RewardStatistics statistics;

    public RewardTrainer(PolicyModel model, RewardConfig config) {
        this.model = model;
        this.config = config;
    }

    public Trainer.Result train(Dataset train, Dataset eval, Path out, Map<String, Object> resolvedConfig, boolean resume,
            Progress.Factory progress) {
        if (!model.hasScoreHead()) model.addScoreHead(config.training().seed());
        int maxLength = config.training().maxLength();
        ResponseScorer scorer = new ResponseScorer(model, maxLength, config.training().perDeviceTrainBatchSize());
        RewardObjective objective = new RewardObjective(train, eval, scorer, config);
        Trainer.Result result = new Trainer("rm", model, objective, config.training(), out, resolvedConfig, progress)
                .train(resume);
        statistics = RewardStatistics.of(scorer.scoreTokenized(objective.trainingResponses()));
        statistics.writeInto(out);
        return result;
    }

    /** The statistics written after training (null before). */
    public RewardStatistics statistics() {
        return statistics;
    }
}
