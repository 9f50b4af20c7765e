package dev.align.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.logprob.CompletionBatch;
import dev.align.core.logprob.LogProbs;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.reward.RewardFunction;
import dev.align.core.reward.Sample;
import dev.align.core.rl.ClippedPolicyLoss;
import dev.align.core.rl.ClippedValueLoss;
import dev.align.core.rl.KlController;
import dev.align.core.rl.LossAggregation;
import dev.align.core.rollout.FinishReason;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.train.EpochCursor;
import dev.align.core.train.OnlineObjective;
import dev.align.core.train.SampleLog;
import dev.align.core.train.Seeds;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.PromptDataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PPO-RLHF's step as TRL's PPO trainer takes it (trl/experimental/ppo/ppo_trainer.py): sample one completion for each
 * of {@link PpoConfig#localBatchSize()} prompts, score them with the reward model, take the policy's, the reference's
 * and the critic's passes over them, shape per-token rewards and advantages ({@link PpoRewards}); then each update
 * minimises
 *
 * <pre>
 *   loss = pg_loss + vf_coef · vf_loss
 *   pg_loss = masked mean of −min(ρ·Â, clip(ρ, 1 − ε, 1 + ε)·Â)      {@link ClippedPolicyLoss}, ρ = π_θ / π_old
 *   vf_loss = masked mean of ½·max((V − R)², (V_clip − R)²)          {@link ClippedValueLoss}
 * </pre>
 *
 * With a critic of its own the value term ({@code vf_coef · vf_loss}) is returned as the critic's loss: the trainer
 * backpropagates the sum, so each module gets the gradient of TRL's total. With the value head on the policy (shared
 * backbone) the sum is the policy's loss.
 *
 * <p>Everything random derives from (seed, step): the prompts come in a shuffled order per epoch over the prompt file
 * ({@link EpochCursor}, its position in {@link #state()}), and step s samples with seed {@code derive(seed, ROLLOUTS, s)}.
 * The KL coefficient β is state too (the adaptive controller updates it after each batch).
 *
 * <p><b>Metrics where they differ from TRL's.</b>
 * <ul>
 *   <li>{@code objective/entropy} is the mean over completions of Σₜ of the exact entropy of π(·|prefix) at each
 *       completion token; TRL sums −log π of the sampled token, which has the same expectation and a higher variance.
 *   <li>{@code policy/approxkl_avg} and {@code val/ratio} average over real completion tokens only; TRL's means include
 *       the padding columns (ratio 1, approxkl 0 there), which pulls them towards 1 and 0 when completions differ in
 *       length.
 *   <li>{@code time/reference} covers the reference and critic passes (and the policy's own log-prob pass) plus the
 *       reward shaping and GAE: everything between scoring and the first update.
 *   <li>{@code prompt_truncated} is the share of the step's prompts longer than the room left by {@code
 *       response_length}: the policy sees their last tokens only, while the reward model scores the full prompt text.
 * </ul>
 */
public final class PpoObjective implements OnlineObjective<PpoObjective.Batch> {
    /** Stream labels for {@link Seeds#derive}. */
    static final long PROMPT_ORDER = 0x70726f6d70747331L, ROLLOUTS = 0x726f6c6c6f757473L, EVAL_ROLLOUTS = 0x6576616c726f6c6cL;
    /** Completions written to samples.jsonl per logged step. */
    static final int LOGGED_SAMPLES = 4;
    /** Rows per forward pass when collecting and evaluating (TRL's {@code local_rollout_forward_batch_size}). */
    static final int FORWARD_ROWS = 64;

    private final PromptDataset prompts;
    private final PromptDataset evalPrompts;
    private final ExampleEncoder encoder;
    private final PpoConfig config;
    private final ReferencePolicy reference;
    private final RewardFunction reward;
    private final SampleLog samples;
    private KlController kl;
    private final EpochCursor order; // where the shuffled pass over the prompts stands

    /**
     * One collected batch, on the device; (B, C) arrays are over the completion columns.
     *
     * @param completions prompts and completions
     * @param mask (B, C) 1 on completion tokens
     * @param oldLogProbs (B, C) log π_old at the sampling temperature
     * @param oldValues (B, C) V of the rollout-time critic
     * @param advantages (B, C) whitened GAE advantages
     * @param returns (B, C) GAE returns, the value targets
     */
    public record Batch(CompletionBatch completions, NDArray mask, NDArray oldLogProbs, NDArray oldValues,
            NDArray advantages, NDArray returns, Map<String, Double> metrics, long tokens) implements Experience {
        @Override
        public int rows() {
            return (int) completions.rows();
        }
    }

    /**
     * @param evalPrompts held-out prompts for {@link #evaluate}, or null
     * @param reward the score of a completion (the reward model's, whitened)
     * @param samples where completions are logged every {@code sample_steps} steps, or null
     */
    public PpoObjective(PromptDataset prompts, PromptDataset evalPrompts, ExampleEncoder encoder, PpoConfig config,
            ReferencePolicy reference, RewardFunction reward, SampleLog samples) {
        this.prompts = prompts;
        this.order = prompts == null ? null // evaluation only
                : new EpochCursor(prompts.size(), Seeds.derive(config.training().seed(), PROMPT_ORDER));
        this.evalPrompts = evalPrompts;
        this.encoder = encoder;
        this.config = config;
        this.reference = reference;
        this.reward = reward;
        this.samples = samples;
        this.kl = config.klController();
    }

    /** β now. */
    public double klCoefficient() {
        return kl.coefficient();
    }

    @Override
    public Batch collect(Modules modules, long step) {
        PolicyModel policy = modules.policy();
        long t0 = System.nanoTime();
        int[] rows = nextRows(config.localBatchSize());
        List<Prompt> numbered = new ArrayList<>(rows.length); // numbered by batch position: a row may repeat across an epoch's end
        ExampleEncoder uncut = new ExampleEncoder(policy.tokenizer(), Integer.MAX_VALUE, false, null);
        int truncated = 0;
        for (int i = 0; i < rows.length; i++) {
            int[] ids = prompts.promptIds(rows[i], encoder);
            if (prompts.promptIds(rows[i], uncut).length > ids.length) truncated++; // the policy sees the prompt's end only
            numbered.add(new Prompt(i, ids));
        }
        RolloutConfig sampling = RolloutConfig.sampling(config.responseLength(), (float) config.temperature(), 0, 1f, 0f)
                .withSeed(Seeds.derive(config.training().seed(), ROLLOUTS, step));
        List<Rollout> rollouts = new ArrayList<>(rows.length);
        for (Rollout r : new RolloutEngine(policy).generate(numbered, sampling)) {
            rollouts.add(new Rollout(rows[(int) r.promptIndex()], r.sampleIndex(), r.promptIds(), r.completionIds(),
                    r.logProbs(), r.finishReason(), r.text()));
        }
        long t1 = System.nanoTime();

        List<Sample> scored = prompts.samples(rollouts, policy.tokenizer());
        float[] scores = reward.rewards(scored);
        int eosTokens = 0;
        for (int i = 0; i < scores.length; i++) {
            Rollout r = rollouts.get(i);
            for (int id : r.completionIds()) if (policy.tokenizer().isEos(id)) eosTokens++;
            if (config.missingEosPenalty() != null && r.finishReason() != FinishReason.EOS) {
                scores[i] -= config.missingEosPenalty().floatValue(); // TRL: scores[~contain_eos_token] -= penalty
            }
        }
        long t2 = System.nanoTime();

        NDManager manager = policy.manager();
        CompletionBatch batch = batchOf(manager, rollouts, policy.tokenizer().padId());
        LogProbs atTemperature = LogProbs.at(config.temperature()).inMicroBatches(FORWARD_ROWS);
        // with a shared backbone one pass gives the values too
        NDList pass = policyPass(policy, modules.hasCritic() ? null : policy, batch, atTemperature);
        NDArray oldLogProbs = pass.get(0), mask = pass.get(1), entropy = pass.get(2); // (B, C) each
        NDArray values = (modules.hasCritic() ? criticPass(modules.critic(), batch) : pass.get(3)).mul(mask); // (B, C)
        TokenLogProbs ref = reference.completions(atTemperature, batch);
        NDArray klPerToken = config.klEstimator().of(oldLogProbs, ref.logProbs()).mul(mask); // (B, C)
        int b = rows.length, c = (int) batch.completionLength();
        float[] host = NDArrays.stack(new NDList(klPerToken, values, entropy, mask)).toFloatArray(); // one copy
        float[] klHost = slice(host, 0, b * c), valueHost = slice(host, 1, b * c), entropyHost = slice(host, 2, b * c),
                maskHost = slice(host, 3, b * c);

        double beta = kl.coefficient();
        float[] rewards = PpoRewards.perToken(klHost, maskHost, scores, beta, c);
        PpoRewards.Advantages a = PpoRewards.advantages(rewards, valueHost, maskHost, c, config.gamma(), config.lam(),
                config.whitenRewards());
        long t3 = System.nanoTime();

        double[] klSum = rowSums(klHost, c), entropySum = rowSums(entropyHost, c);
        double meanKl = mean(klSum), meanScore = mean(scores);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("objective/kl", meanKl);
        metrics.put("objective/entropy", mean(entropySum));
        metrics.put("objective/non_score_reward", -beta * meanKl);
        metrics.put("objective/rlhf_reward", -beta * meanKl + meanScore);
        metrics.put("objective/scores", meanScore);
        metrics.put("objective/kl_coef", beta);
        metrics.put("val/num_eos_tokens", (double) eosTokens);
        metrics.put("prompt_truncated", (double) truncated / b);
        metrics.put("time/generation", (t1 - t0) / 1e9);
        metrics.put("time/scoring", (t2 - t1) / 1e9);
        metrics.put("time/reference", (t3 - t2) / 1e9);
        kl = kl.update(meanKl, b);

        if (samples != null && SampleLog.due(step, config.sampleSteps())) {
            List<Map<String, Object>> lines = new ArrayList<>();
            for (int i = 0; i < Math.min(LOGGED_SAMPLES, b); i++) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prompt", scored.get(i).prompt());
                line.put("completion", scored.get(i).completion());
                line.put("score", (double) scores[i]);
                line.put("kl", klSum[i]);
                lines.add(line);
            }
            samples.append(step + 1, lines);
        }
        long tokens = 0;
        for (Rollout r : rollouts) tokens += r.promptIds().length + r.completionIds().length; // num_tokens as TRL counts it
        Shape shape = new Shape(b, c);
        return new Batch(batch, mask, oldLogProbs, values, manager.create(a.advantages(), shape),
                manager.create(a.returns(), shape), metrics, tokens);
    }

    @Override
    public Step loss(Modules modules, Batch e, int[] rows) {
        PolicyModel policy = modules.policy();
        long[] index = new long[rows.length];
        for (int i = 0; i < rows.length; i++) index[i] = rows[i];
        NDArray pick = policy.manager().create(index);
        CompletionBatch all = e.completions();
        CompletionBatch b = new CompletionBatch(all.promptIds().get(pick), all.promptMask().get(pick),
                all.completionIds().get(pick), all.completionMask().get(pick));
        NDArray mask = e.mask().get(pick), old = e.oldLogProbs().get(pick), advantages = e.advantages().get(pick);
        NDArray oldValues = e.oldValues().get(pick), returns = e.returns().get(pick);

        NDArray hidden = policy.hidden(b.ids(), b.attention()); // (b, P+C, H)
        NDArray logp = LogProbs.at(config.temperature()).completions(policy, b, hidden).logProbs(); // (b, C)
        NDArray pgLoss = LossAggregation.bnpo(
                ClippedPolicyLoss.perToken(logp, old, advantages, config.cliprange(), config.cliprange()), mask);
        PolicyModel critic = modules.hasCritic() ? modules.critic() : policy;
        NDArray criticHidden = modules.hasCritic() ? critic.hidden(b.ids(), b.attention()) : hidden;
        NDArray v = critic.values(b.predicting(criticHidden)); // (b, C)
        NDArray vfLoss = LossAggregation.bnpo(ClippedValueLoss.perToken(v, oldValues, returns, config.cliprangeValue()), mask);

        ClippedPolicyLoss.Statistics s = ClippedPolicyLoss.statistics(logp, old, advantages, mask, config.cliprange(),
                config.cliprange());
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("policy/approxkl_avg", s.approxKl());
        metrics.put("policy/clipfrac_avg", s.clipRatio());
        metrics.put("loss/policy_avg", (double) Scalars.toFloat(pgLoss));
        metrics.put("loss/value_avg", (double) Scalars.toFloat(vfLoss));
        metrics.put("val/clipfrac_avg", ClippedValueLoss.clipFraction(v, oldValues, returns, mask, config.cliprangeValue()));
        metrics.put("val/ratio", s.ratioMean());
        NDArray valueTerm = vfLoss.mul(Scalars.constant(vfLoss, config.vfCoef()));
        return modules.hasCritic() ? new Step(pgLoss, valueTerm, metrics) : new Step(pgLoss.add(valueTerm), null, metrics);
    }

    /**
     * Completions of the first {@code eval_samples} held-out prompts, sampled as in training (at {@code temperature}),
     * one per prompt, with a seed that is the same at every evaluation ({@code derive(seed, EVAL_ROLLOUTS)}): {@code
     * eval/objective/scores}, their mean score (an estimate of the policy's expected score), and {@code
     * eval/objective/kl}, the mean over completions of Σₜ of the KL estimate against the reference, a valid estimate
     * of KL(π‖π_ref) because the tokens are π's samples (on greedy tokens, k1 estimates nothing). The fixed seed makes
     * evaluations comparable across steps (common random numbers) and the same after a resume.
     */
    @Override
    public Map<String, Double> evaluate(Modules modules) {
        if (evalPrompts == null) return Map.of();
        PolicyModel policy = modules.policy();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int n = Math.min(config.evalSamples(), evalPrompts.size());
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            RolloutConfig sampling = RolloutConfig.sampling(config.responseLength(), (float) config.temperature(), 0, 1f, 0f)
                    .withSeed(Seeds.derive(config.training().seed(), EVAL_ROLLOUTS));
            List<Rollout> rollouts = new RolloutEngine(policy).generate(evalPrompts.prompts(rows, encoder), sampling);
            float[] scores = reward.rewards(evalPrompts.samples(rollouts, policy.tokenizer()));
            CompletionBatch batch = batchOf(policy.manager(), rollouts, policy.tokenizer().padId());
            LogProbs atTemperature = LogProbs.at(config.temperature()).inMicroBatches(FORWARD_ROWS);
            TokenLogProbs lp = atTemperature.completions(policy, batch);
            TokenLogProbs ref = reference.completions(atTemperature, batch);
            float[] klHost = config.klEstimator().of(lp.logProbs(), ref.logProbs()).mul(lp.mask()).toFloatArray();
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("eval/objective/scores", mean(scores));
            out.put("eval/objective/kl", mean(rowSums(klHost, (int) batch.completionLength())));
            return out;
        }
    }

    /** Every PPO key that decides the numbers; a resume under a changed one is refused. */
    @Override
    public Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("temperature", config.temperature());
        s.put("response_length", config.responseLength());
        s.put("kl_coef", config.klCoef());
        s.put("target_kl", config.targetKl());
        s.put("horizon", config.horizon());
        s.put("kl_estimator", config.klEstimator().name().toLowerCase(java.util.Locale.ROOT));
        s.put("cliprange", config.cliprange());
        s.put("cliprange_value", config.cliprangeValue());
        s.put("vf_coef", config.vfCoef());
        s.put("gamma", config.gamma());
        s.put("lam", config.lam());
        s.put("whiten_rewards", config.whitenRewards());
        s.put("missing_eos_penalty", config.missingEosPenalty());
        s.put("normalize_reward", config.normalizeReward());
        s.put("shared_backbone", config.sharedBackbone());
        s.put("critic_init", config.criticInit().name().toLowerCase(java.util.Locale.ROOT));
        return s;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("prompt_epoch", order.epoch());
        s.put("prompt_position", order.position());
        s.put("kl_coef", kl.coefficient());
        return s;
    }

    @Override
    public void restore(Map<String, Object> state) {
        order.seek(((Number) state.get("prompt_epoch")).intValue(), ((Number) state.get("prompt_position")).intValue());
        kl = kl.withCoefficient(((Number) state.get("kl_coef")).doubleValue());
    }

    /** The next rows of the shuffled prompt order. */
    private int[] nextRows(int count) {
        return order.next(count);
    }

    private static CompletionBatch batchOf(NDManager manager, List<Rollout> rollouts, int padId) {
        List<int[]> p = new ArrayList<>(rollouts.size()), c = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            p.add(r.promptIds());
            c.add(r.completionIds());
        }
        return CompletionBatch.of(manager, p, c, padId);
    }

    /**
     * The policy's log-probs (with entropy) of the completion tokens and, with {@code valueHead} (the policy itself, a
     * shared backbone), its values, from one backbone pass per {@link #FORWARD_ROWS} rows: [log-probs, mask, entropy,
     * values?], each (B, C).
     */
    static NDList policyPass(PolicyModel policy, PolicyModel valueHead, CompletionBatch batch, LogProbs logProbs) {
        return inChunks(batch, part -> {
            NDArray hidden = policy.hidden(part.ids(), part.attention());
            TokenLogProbs lp = logProbs.withEntropy().completions(policy, part, hidden);
            NDList out = new NDList(lp.logProbs(), lp.mask(), lp.entropy());
            if (valueHead != null) out.add(valueHead.values(part.predicting(hidden)));
            return out;
        });
    }

    /** A critic's V at the positions predicting each completion token, (B, C). */
    static NDArray criticPass(PolicyModel critic, CompletionBatch batch) {
        return inChunks(batch, part -> new NDList(critic.values(part.predicting(critic.hidden(part.ids(), part.attention())))))
                .get(0);
    }

    /** Runs {@code pass} on {@link #FORWARD_ROWS} rows at a time, freeing each pass's activations, and concatenates. */
    private static NDList inChunks(CompletionBatch batch, java.util.function.Function<CompletionBatch, NDList> pass) {
        long rows = batch.rows();
        if (rows <= FORWARD_ROWS) return pass.apply(batch);
        List<NDList> parts = new ArrayList<>();
        try {
            for (long from = 0; from < rows; from += FORWARD_ROWS) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDList part = pass.apply(batch.rows(from, Math.min(rows, from + FORWARD_ROWS)));
                    for (NDArray a : part) NDScope.unregister(a);
                    parts.add(part);
                }
            }
            NDList out = new NDList();
            for (int k = 0; k < parts.get(0).size(); k++) {
                NDList column = new NDList();
                for (NDList part : parts) column.add(part.get(k));
                out.add(NDArrays.concat(column));
            }
            return out;
        } finally {
            for (NDList part : parts) part.close();
        }
    }

    private static float[] slice(float[] stacked, int k, int size) {
        float[] out = new float[size];
        System.arraycopy(stacked, k * size, out, 0, size);
        return out;
    }

    private static double[] rowSums(float[] x, int length) {
        double[] sums = new double[x.length / length];
        for (int i = 0; i < x.length; i++) sums[i / length] += x[i];
        return sums;
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }
}
