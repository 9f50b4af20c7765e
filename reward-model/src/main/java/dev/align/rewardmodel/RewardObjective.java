package dev.align.rewardmodel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.train.Objective;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.KeptRows;
import dev.align.datasets.ResponseScorer;
import dev.align.datasets.TokenBatch;
import dev.align.datasets.TokenizedExample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reward-model training on preference pairs and ranked lists. Every response of a micro-batch is
 * scored in one backbone pass; a prompt's responses stay together, so a ranking of K contributes all
 * its C(K,2) pairs (or its K−1 Plackett–Luce stages) to the same step, each prompt weighted equally.
 *
 * <p>Metrics, as TRL's RewardTrainer: {@code accuracy} (share of ordered pairs whose better response
 * scores higher), {@code margin} (mean reward gap over those pairs) and {@code min_reward},
 * {@code mean_reward}, {@code max_reward}. Pairs whose labels tie are not counted.
 *
 * <p>A pair with a soft {@code label} p (AI feedback's probability that its chosen response is better)
 * trains on the soft Bradley–Terry target, −p log σ(Δ) − (1−p) log σ(−Δ) with Δ = r_c − r_r − margin, as
 * RL-CAI trains its preference model ({@link RewardLosses#bradleyTerry}); listwise, its one stage picks
 * (p, 1−p). Accuracy still counts r_c > r_r.
 *
 * <p>As TRL's RewardTrainer, a row with a response longer than max_length (prompt and response
 * together) is dropped before training rather than scored on a cut sequence; every logged line
 * carries {@code num_dropped_too_long}, the number of training rows dropped, and evaluation
 * {@code eval/num_dropped_too_long}.
 */
public final class RewardObjective implements Objective {
    private final Dataset train;
    private final Dataset eval;
    private final ResponseScorer scorer;
    private final RewardConfig config;
    private final KeptRows trainRows;
    private final KeptRows evalRows;

    public RewardObjective(Dataset train, Dataset eval, ResponseScorer scorer, RewardConfig config) {
        this.train = train;
        this.eval = eval;
        this.scorer = scorer;
        this.config = config;
        this.trainRows = fitting(train);
        this.evalRows = eval == null ? null : fitting(eval);
    }

    /** The rows whose every response fits max_length uncut. */
    private KeptRows fitting(Dataset data) {
        return KeptRows.of(data, i -> group(data.get(i)).responses().stream().noneMatch(TokenizedExample::truncated),
                "a response is longer than max_length (" + config.training().maxLength() + " tokens)");
    }

    /** Every response of the kept training rows, e.g. for reward statistics. */
    List<TokenizedExample> trainingResponses() {
        List<TokenizedExample> rows = new ArrayList<>();
        for (int i : trainRows.indices()) rows.addAll(group(train.get(i)).responses());
        return rows;
    }

    /**
     * One prompt's responses with their labels (higher is better) and, for a pair, its margin and the
     * probability that its chosen response is better: the row's soft {@code label}, 1 when it has none.
     */
    record Group(List<TokenizedExample> responses, double[] labels, double margin, double target) {}

    Group group(Example example) {
        if (example instanceof Example.Preference p) {
            return new Group(List.of(scorer.encode(p.prompt(), p.chosen()), scorer.encode(p.prompt(), p.rejected())),
                    new double[] {1, 0}, p.margin(), p.hasLabel() ? p.label() : 1);
        }
        if (example instanceof Example.Ranked r) {
            List<TokenizedExample> rows = new ArrayList<>();
            for (Example.Turns response : r.responses()) rows.add(scorer.encode(r.prompt(), response));
            return new Group(rows, r.scores(), 0, 1);
        }
        throw new IllegalArgumentException("reward training needs preference or ranked rows, not "
                + example.getClass().getSimpleName());
    }

    @Override
    public int size() {
        return trainRows.size();
    }

    @Override
    public Step loss(PolicyModel model, int[] examples) {
        List<Group> groups = new ArrayList<>();
        for (int i : trainRows.at(examples)) groups.add(group(train.get(i)));
        Forward f = forward(model, groups);
        Map<String, Double> metrics = f.metrics();
        metrics.put("num_dropped_too_long", (double) trainRows.dropped());
        return new Step(f.loss, metrics, f.tokens);
    }

    @Override
    public Map<String, Double> evaluate(PolicyModel model) {
        if (eval == null) return Map.of();
        Map<String, Double> sums = new LinkedHashMap<>();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        double pairs = 0, rewards = 0, groups = 0;
        int batchSize = Math.max(1, config.training().perDeviceTrainBatchSize());
        int[] rows = evalRows.indices();
        for (int start = 0; start < rows.length; start += batchSize) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                List<Group> part = new ArrayList<>();
                for (int i = start; i < Math.min(rows.length, start + batchSize); i++) part.add(group(eval.get(rows[i])));
                Forward f = forward(model, part);
                sums.merge("loss", (double) Scalars.toFloat(f.loss) * part.size(), Double::sum);
                sums.merge("accuracy", f.correct, Double::sum);
                sums.merge("margin", f.gapSum, Double::sum);
                sums.merge("mean_reward", f.rewardSum, Double::sum);
                min = Math.min(min, f.min);
                max = Math.max(max, f.max);
                pairs += f.pairs;
                rewards += f.count;
                groups += part.size();
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("eval/loss", sums.get("loss") / groups);
        out.put("eval/accuracy", sums.get("accuracy") / Math.max(1, pairs));
        out.put("eval/margin", sums.get("margin") / Math.max(1, pairs));
        out.put("eval/min_reward", min);
        out.put("eval/mean_reward", sums.get("mean_reward") / rewards);
        out.put("eval/max_reward", max);
        out.put("eval/num_dropped_too_long", (double) evalRows.dropped());
        return out;
    }

    /** A scored micro-batch: the loss and the raw sums its metrics are made of. */
    private record Forward(NDArray loss, long tokens, double correct, double gapSum, int pairs, double rewardSum,
            double min, double max, int count) {
        Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("accuracy", correct / Math.max(1, pairs));
            m.put("margin", gapSum / Math.max(1, pairs));
            m.put("min_reward", min);
            m.put("mean_reward", rewardSum / count);
            m.put("max_reward", max);
            return m;
        }
    }

    private Forward forward(PolicyModel model, List<Group> groups) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (Group g : groups) rows.addAll(g.responses());
        TokenBatch b = TokenBatch.of(model.manager(), rows, model.tokenizer().padId());
        NDArray rewards = model.scores(model.hidden(b.ids(), b.attention()), b.attention()); // (N)
        Selections s = Selections.of(model.manager(), groups, rows.size());
        NDArray column = rewards.reshape(rows.size(), 1);
        NDArray better = s.better.matMul(column).squeeze(1); // (P)
        NDArray worse = s.worse.matMul(column).squeeze(1); // (P)
        NDArray loss = config.loss() == RewardConfig.RankingLoss.LISTWISE
                ? RewardLosses.plackettLuce(rewards, s.remaining, s.chosen, s.stageWeight)
                : RewardLosses.bradleyTerry(better, worse, s.margin, s.target, s.pairWeight);
        if (config.centerRewardsCoefficient() != 0) {
            loss = loss.add(RewardLosses.centering(better, worse, s.pairWeight, config.centerRewardsCoefficient()));
        }
        float[] r = rewards.toFloatArray();
        float[] gap = better.sub(worse).toFloatArray();
        double correct = 0, gapSum = 0, rewardSum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (float g : gap) {
            correct += g > 0 ? 1 : 0;
            gapSum += g;
        }
        for (float v : r) {
            rewardSum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return new Forward(loss, b.tokens(), correct, gapSum, gap.length, rewardSum, min, max, r.length);
    }

    /**
     * Selection matrices over the N responses of a micro-batch: ordered pairs (better, worse) with
     * their margins, soft targets and weights 1/(pairs of the prompt · prompts), and Plackett–Luce
     * stages grouped by tied labels with weights 1/(stages of the prompt · prompts); a pair with a soft
     * target p picks (p, 1−p) at its one stage.
     */
    record Selections(NDArray better, NDArray worse, NDArray margin, NDArray target, NDArray pairWeight,
            NDArray remaining, NDArray chosen, NDArray stageWeight) {

        static Selections of(NDManager manager, List<Group> groups, int n) {
            List<int[]> pairs = new ArrayList<>();
            List<Float> margins = new ArrayList<>(), targets = new ArrayList<>(), pairWeights = new ArrayList<>(),
                    stageWeights = new ArrayList<>();
            List<float[]> remaining = new ArrayList<>(), chosen = new ArrayList<>();
            int offset = 0;
            for (Group g : groups) {
                double[] l = g.labels();
                int k = l.length;
                int before = pairs.size();
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        if (l[i] > l[j]) pairs.add(new int[] {offset + i, offset + j});
                    }
                }
                int groupPairs = pairs.size() - before;
                for (int p = 0; p < groupPairs; p++) {
                    margins.add((float) g.margin());
                    targets.add((float) g.target());
                    pairWeights.add(1f / (groupPairs * groups.size()));
                }
                double[] levels = java.util.Arrays.stream(l).distinct().sorted().toArray(); // ascending
                int stagesBefore = remaining.size();
                for (int level = levels.length - 1; level >= 0; level--) {
                    float[] rem = new float[n], pick = new float[n];
                    int left = 0, picked = 0;
                    for (int i = 0; i < k; i++) {
                        rem[offset + i] = l[i] <= levels[level] ? 1 : 0;
                        pick[offset + i] = l[i] == levels[level] ? 1 : 0;
                        left += (int) rem[offset + i];
                        picked += (int) pick[offset + i];
                    }
                    if (left == 1 && picked == 1) continue; // the last single item: probability 1
                    if (k == 2 && left == 2 && picked == 1) { // a pair: its one stage picks (p, 1−p)
                        int first = l[0] > l[1] ? 0 : 1;
                        pick[offset + first] = (float) g.target();
                        pick[offset + 1 - first] = (float) (1 - g.target());
                    }
                    remaining.add(rem);
                    chosen.add(pick);
                }
                int groupStages = remaining.size() - stagesBefore;
                for (int s = 0; s < groupStages; s++) stageWeights.add(1f / (groupStages * groups.size()));
                offset += k;
            }
            float[] better = new float[pairs.size() * n], worse = new float[pairs.size() * n];
            for (int p = 0; p < pairs.size(); p++) {
                better[p * n + pairs.get(p)[0]] = 1;
                worse[p * n + pairs.get(p)[1]] = 1;
            }
            Shape ps = new Shape(pairs.size(), n), ss = new Shape(remaining.size(), n);
            return new Selections(manager.create(better, ps), manager.create(worse, ps), manager.create(floats(margins)),
                    manager.create(floats(targets)), manager.create(floats(pairWeights)), manager.create(flatten(remaining, n), ss),
                    manager.create(flatten(chosen, n), ss), manager.create(floats(stageWeights)));
        }

        private static float[] floats(List<Float> values) {
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) out[i] = values.get(i);
            return out;
        }

        private static float[] flatten(List<float[]> rows, int n) {
            float[] out = new float[rows.size() * n];
            for (int r = 0; r < rows.size(); r++) System.arraycopy(rows.get(r), 0, out, r * n, n);
            return out;
        }
    }
}
