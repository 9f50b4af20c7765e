package dev.align.rlvr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.logprob.CompletionBatch;
import dev.align.core.logprob.LogProbs;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.reward.Sample;
import dev.align.core.reward.VerifierReward;
import dev.align.core.rl.ClippedPolicyLoss;
import dev.align.core.rl.GroupAdvantages;
import dev.align.core.rl.KlEstimator;
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
import dev.align.datasets.Format;
import dev.align.datasets.PromptDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One step of GRPO or RLOO from verifiable rewards, as TRL's GRPOTrainer and RLOOTrainer take it
 * (trl/trainer/grpo_trainer.py {@code _generate_and_score_completions} and {@code _compute_loss}; rloo_trainer.py).
 *
 * <p><b>Collect.</b> Draw {@link RlvrConfig#promptsPerStep()} prompts (a shuffled order per epoch over the prompt
 * file, its cursor in {@link #state()}), sample {@code num_generations} completions of each with seed {@code
 * derive(seed, ROLLOUTS, step, round)}, score them with the reward functions, and compute advantages per group:
 *
 * <pre>
 *   GRPO:  Âᵢ = (rᵢ − mean(r_group)) / (std + 1e-4)                         {@link GroupAdvantages#grpo}
 *   RLOO:  r'ᵢ = rᵢ − β·Σₜ (log π_old − log π_ref)   (k1, summed over the sequence)
 *          Âᵢ = r'ᵢ − mean_{j≠i} r'ⱼ                                          {@link GroupAdvantages#rloo}
 * </pre>
 *
 * With dynamic sampling (DAPO, Yu et al. 2025, §3.2) groups whose rewards all agree are dropped and further prompts
 * are drawn, at most {@code max_num_gen_batches} rounds; what is still missing is filled with dropped groups (their
 * advantages are 0). {@code frac_reward_zero_std} is the share of such groups among all generated, either way.
 *
 * <p><b>Loss</b> on a micro-batch, with ρ = π_θ/π_old:
 *
 * <pre>
 *   GRPO:  ℓₜ = −min(ρₜ·Â, clip(ρₜ, 1 − ε_low, 1 + ε_high)·Â) + β·k3ₜ,   aggregated by loss_type
 *   RLOO:  ℓ = mean over sequences of −min(ρ·Â, clip(ρ, 1 − ε_low, 1 + ε_high)·Â),  ρ = exp(Σₜ log π_θ − Σₜ log π_old)
 * </pre>
 *
 * GRPO's π_old is the detached current policy when μ = 1 (ρ = 1, TRL skips that pass) and the collecting policy
 * otherwise; RLOO always takes it at collection. With {@code mask_truncated_completions} completions without EOS
 * leave the loss mask (not the attention). DAPO's token normaliser is the loss tokens of the whole batch, one
 * optimizer update.
 */
public final class RlvrObjective implements OnlineObjective<RlvrObjective.Batch> {
    /** Stream labels for {@link Seeds#derive}. */
    static final long PROMPT_ORDER = 0x726c7672706f7264L, ROLLOUTS = 0x726c7672726f6c6cL;
    /** Completions written to samples.jsonl per logged step. */
    static final int LOGGED_SAMPLES = 4;
    /** Rows per forward pass when collecting (the old and reference log-probs). */
    static final int FORWARD_ROWS = 64;

    private final PromptDataset prompts;
    private final PromptDataset evalPrompts;
    private final ExampleEncoder encoder;
    private final RlvrConfig config;
    private final RlvrRewards rewards;
    private final ReferencePolicy reference;
    private final SampleLog samples;
    private final EpochCursor order; // where the shuffled pass over the prompts stands

    /**
     * One collected batch; (B, C) arrays are over the completion columns.
     *
     * @param lossMask (B, C) completion tokens that count in the loss
     * @param advantages (B) one per completion
     * @param oldLogProbs (B, C) log π_old at collection, or null (GRPO with μ = 1: the detached current ones)
     * @param oldSequenceLogProbs (B) RLOO's Σₜ log π_old, or null
     * @param refLogProbs (B, C) GRPO's log π_ref when β > 0, or null
     * @param activeTokens Σ lossMask over the batch, DAPO's normaliser
     * @param rewards (B) the weighted reward of each completion, for tests and logs
     */
    public record Batch(CompletionBatch completions, NDArray lossMask, NDArray advantages, NDArray oldLogProbs,
            NDArray oldSequenceLogProbs, NDArray refLogProbs, double activeTokens, float[] rewards,
            Map<String, Double> metrics, long tokens) implements Experience {
        @Override
        public int rows() {
            return (int) completions.rows();
        }
    }

    /** The completions of one prompt and their rewards. */
    private record Group(List<Rollout> rollouts, List<Sample> samples, float[] rewards, boolean zeroStd) {}

    /**
     * @param evalPrompts held-out verifiable prompts for {@link #evaluate}, or null
     * @param reference the reference policy, or null when β = 0
     * @param samples where completions are logged every {@code sample_steps} steps, or null
     */
    public RlvrObjective(PromptDataset prompts, PromptDataset evalPrompts, ExampleEncoder encoder, RlvrConfig config,
            RlvrRewards rewards, ReferencePolicy reference, SampleLog samples) {
        if (config.betaOrDefault() > 0 && reference == null) throw new IllegalArgumentException("β > 0 needs a reference policy");
        this.prompts = prompts;
        this.order = prompts == null ? null // evaluation only
                : new EpochCursor(prompts.size(), Seeds.derive(config.training().seed(), PROMPT_ORDER));
        this.evalPrompts = evalPrompts;
        this.encoder = encoder;
        this.config = config;
        this.rewards = rewards;
        this.reference = reference;
        this.samples = samples;
    }

    @Override
    public Batch collect(Modules modules, long step) {
        PolicyModel policy = modules.policy();
        int k = config.groupSize(), want = config.promptsPerStep();
        int rounds = config.dynamicSampling() ? config.maxNumGenBatches() : 1;
        List<Group> kept = new ArrayList<>(), dropped = new ArrayList<>(), generated = new ArrayList<>();
        List<RlvrRewards.Scores> scores = new ArrayList<>();
        RolloutEngine engine = new RolloutEngine(policy);
        long generation = 0, scoring = 0;
        int round = 0;
        for (; round < rounds && kept.size() < want; round++) {
            long t0 = System.nanoTime();
            int[] rows = nextRows(want - kept.size());
            List<Prompt> numbered = new ArrayList<>(rows.length); // by batch position: a row may repeat across an epoch's end
            for (int i = 0; i < rows.length; i++) numbered.add(new Prompt(i, prompts.promptIds(rows[i], encoder)));
            RolloutConfig sampling = RolloutConfig.sampling(config.maxCompletionLength(), (float) config.temperature(),
                    config.topK(), (float) config.topP(), (float) config.minP()).withNumGenerations(k)
                    .withSeed(Seeds.derive(config.training().seed(), ROLLOUTS, step, round));
            List<Rollout> rollouts = new ArrayList<>();
            for (Rollout r : engine.generate(numbered, sampling)) {
                rollouts.add(new Rollout(rows[(int) r.promptIndex()], r.sampleIndex(), r.promptIds(), r.completionIds(),
                        r.logProbs(), r.finishReason(), r.text()));
            }
            long t1 = System.nanoTime();
            List<Sample> scored = prompts.samples(rollouts, policy.tokenizer());
            RlvrRewards.Scores s = rewards.score(scored);
            scores.add(s);
            generation += t1 - t0;
            scoring += System.nanoTime() - t1;
            for (int g = 0; g < rows.length; g++) {
                float[] r = Arrays.copyOfRange(s.total(), g * k, (g + 1) * k);
                Group group = new Group(rollouts.subList(g * k, (g + 1) * k), scored.subList(g * k, (g + 1) * k), r,
                        RlvrRewards.std(r) <= 1e-8);
                generated.add(group);
                if (config.dynamicSampling() && group.zeroStd()) dropped.add(group);
                else kept.add(group);
            }
        }
        for (Group g : dropped) if (kept.size() < want) kept.add(g); // dynamic sampling ran out of rounds

        long t2 = System.nanoTime();
        List<Rollout> rollouts = new ArrayList<>();
        int b = kept.size() * k;
        float[] reward = new float[b];
        for (int g = 0; g < kept.size(); g++) {
            rollouts.addAll(kept.get(g).rollouts());
            System.arraycopy(kept.get(g).rewards(), 0, reward, g * k, k);
        }
        NDManager manager = policy.manager();
        List<int[]> promptIds = new ArrayList<>(b), completionIds = new ArrayList<>(b);
        float[] finished = new float[b];
        for (int i = 0; i < b; i++) {
            Rollout r = rollouts.get(i);
            promptIds.add(r.promptIds());
            completionIds.add(r.completionIds());
            finished[i] = r.finishReason() == FinishReason.LENGTH ? 0f : 1f;
        }
        CompletionBatch batch = CompletionBatch.of(manager, promptIds, completionIds, policy.tokenizer().padId());
        NDArray lossMask = batch.targetMask(); // (B, C)
        if (config.maskTruncatedCompletions()) lossMask = lossMask.mul(manager.create(finished, new Shape(b, 1)));
        double activeTokens = lossMask.sum().getFloat();

        Map<String, Double> metrics = new LinkedHashMap<>();
        LogProbs atTemperature = LogProbs.at(config.temperature()).inMicroBatches(FORWARD_ROWS);
        boolean rloo = config.algo() == RlvrConfig.Algo.RLOO;
        double beta = config.betaOrDefault();
        NDArray old = rloo || config.numIterations() > 1 ? atTemperature.completions(policy, batch).logProbs() : null;
        NDArray ref = beta > 0 ? reference.completions(atTemperature, batch).logProbs() : null;
        float[] advantages;
        NDArray oldSequence = null;
        if (rloo) {
            oldSequence = old.mul(lossMask).sum(new int[] {1}); // (B)
            float[] penalised = reward.clone();
            if (beta > 0) {
                NDArray k1 = KlEstimator.K1.of(old, ref).mul(lossMask); // (B, C): log π_old − log π_ref
                float[] klSum = k1.sum(new int[] {1}).toFloatArray();
                penalised = rlooRewards(reward, klSum, beta);
                metrics.put("kl", k1.sum().getFloat() / Math.max(activeTokens, 1.0));
            }
            advantages = GroupAdvantages.rloo(penalised, k, config.normalizeAdvantages()).advantages();
        } else {
            advantages = GroupAdvantages.grpo(reward, k, config.scaleRewards()).advantages();
        }
        long t3 = System.nanoTime();

        float[] all = new float[generated.size() * k];
        int zeroStd = 0;
        for (int g = 0; g < generated.size(); g++) {
            System.arraycopy(generated.get(g).rewards(), 0, all, g * k, k);
            if (generated.get(g).zeroStd()) zeroStd++;
        }
        metrics.put("reward", RlvrRewards.mean(all));
        metrics.put("reward_std", RlvrRewards.std(all));
        metrics.putAll(rewards.metrics(concat(scores)));
        metrics.put("frac_reward_zero_std", (double) zeroStd / generated.size());
        if (config.dynamicSampling()) metrics.put("num_gen_batches", (double) round);
        long tokens = lengthMetrics(generated, metrics);
        metrics.put("time/generation", generation / 1e9);
        metrics.put("time/scoring", scoring / 1e9);
        metrics.put("time/reference", (t3 - t2) / 1e9);

        if (samples != null && SampleLog.due(step, config.sampleSteps())) logSamples(step, kept, advantages);
        return new Batch(batch, lossMask, manager.create(advantages), config.numIterations() > 1 || rloo ? old : null,
                oldSequence, rloo ? null : ref, activeTokens, reward, metrics, tokens);
    }

    /** RLOO's KL-penalised rewards (TRL's {@code rewards - beta * kl}): r'ᵢ = rᵢ − β·Σₜ k1ᵢₜ. */
    static float[] rlooRewards(float[] rewards, float[] klSums, double beta) {
        float[] out = new float[rewards.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) (rewards[i] - beta * klSums[i]);
        return out;
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
        NDArray mask = e.lossMask().get(pick), advantages = e.advantages().get(pick); // (b, C), (b)
        TokenLogProbs current = LogProbs.at(config.temperature()).withEntropy().completions(policy, b);
        NDArray logp = current.logProbs(); // (b, C)
        double tokens = Math.max(Scalars.toFloat(mask.sum()), 1.0);
        double epsLow = config.epsilon(), epsHigh = config.epsilonHighOrDefault();
        Map<String, Double> metrics = new LinkedHashMap<>();
        NDArray loss;
        ClippedPolicyLoss.Statistics s;
        if (config.algo() == RlvrConfig.Algo.RLOO) {
            NDArray sequence = logp.mul(mask).sum(new int[] {1}); // (b)
            NDArray old = e.oldSequenceLogProbs().get(pick);
            loss = ClippedPolicyLoss.perToken(sequence, old, advantages, epsLow, epsHigh).mean();
            s = ClippedPolicyLoss.statistics(sequence, old, advantages, null, epsLow, epsHigh);
        } else {
            NDArray old = e.oldLogProbs() != null ? e.oldLogProbs().get(pick) : logp.stopGradient();
            NDArray perToken = ClippedPolicyLoss.perToken(logp, old, advantages, epsLow, epsHigh); // (b, C)
            if (e.refLogProbs() != null) {
                NDArray kl = KlEstimator.K3.of(logp, e.refLogProbs().get(pick)); // (b, C)
                perToken = perToken.add(kl.mul(Scalars.constant(kl, config.betaOrDefault())));
                metrics.put("kl", Scalars.toFloat(kl.mul(mask).sum()) / tokens);
            }
            double dapoTokens = e.activeTokens() / config.training().gradientAccumulationSteps(); // the trainer divides by G
            loss = config.lossType().apply(perToken, mask, dapoTokens, config.maxCompletionLength());
            s = ClippedPolicyLoss.statistics(logp, old, advantages, mask, epsLow, epsHigh);
        }
        metrics.put("entropy", Scalars.toFloat(current.entropy().mul(mask).sum()) / tokens);
        metrics.put("clip_ratio/low_mean", s.clipRatioLow());
        metrics.put("clip_ratio/high_mean", s.clipRatioHigh());
        metrics.put("clip_ratio/region_mean", s.clipRatio());
        return new Step(loss, null, metrics);
    }

    /**
     * Greedy completions of every held-out prompt, graded by each row's verifier: {@code eval/accuracy}, per {@code
     * kind} column {@code eval/accuracy/KIND}, and {@code eval/reward} under the run's reward functions.
     */
    @Override
    public Map<String, Double> evaluate(Modules modules) {
        if (evalPrompts == null) return Map.of();
        PolicyModel policy = modules.policy();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int n = evalPrompts.size();
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            List<Rollout> rollouts = new RolloutEngine(policy).generate(evalPrompts.prompts(rows, encoder),
                    RolloutConfig.greedy(config.maxCompletionLength()));
            List<Sample> scored = evalPrompts.samples(rollouts, policy.tokenizer());
            VerifierReward verifier = new VerifierReward();
            double correct = 0;
            Map<String, double[]> byKind = new TreeMap<>(); // kind → {correct, count}
            for (int i = 0; i < n; i++) {
                boolean ok = verifier.verdict(scored.get(i), i).correct();
                if (ok) correct++;
                String kind = scored.get(i).field("kind");
                if (kind != null) {
                    double[] c = byKind.computeIfAbsent(kind, x -> new double[2]);
                    c[0] += ok ? 1 : 0;
                    c[1]++;
                }
            }
            Map<String, Double> out = new LinkedHashMap<>();
            out.put("eval/accuracy", n == 0 ? 0 : correct / n);
            byKind.forEach((kind, c) -> out.put("eval/accuracy/" + kind, c[0] / c[1]));
            out.put("eval/reward", RlvrRewards.mean(rewards.score(scored).total()));
            return out;
        }
    }

    /**
     * The method's settings that decide a run's numbers (every RlvrConfig key but the shared training ones, which
     * the trainer checks itself, and sample_steps): a resume under a changed one is refused.
     */
    @Override
    public Map<String, Object> settings() {
        Map<String, Object> s = new java.util.LinkedHashMap<>(dev.align.core.config.ConfigBinder.of(RlvrConfig.class).toMap(config));
        s.keySet().removeAll(config.training().asMap().keySet());
        s.remove("sample_steps");
        s.replaceAll((k, v) -> v == null ? null : v instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : v.toString());
        return s;
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("prompt_epoch", order.epoch());
        s.put("prompt_position", order.position());
        return s;
    }

    @Override
    public void restore(Map<String, Object> state) {
        order.seek(((Number) state.get("prompt_epoch")).intValue(), ((Number) state.get("prompt_position")).intValue());
    }

    /** The next rows of the shuffled prompt order. */
    private int[] nextRows(int count) {
        return order.next(count);
    }

    /** TRL's completion-length metrics over every generated completion; returns the tokens (prompt + completion) seen. */
    private static long lengthMetrics(List<Group> groups, Map<String, Double> metrics) {
        double sum = 0, terminatedSum = 0;
        int count = 0, clipped = 0, min = Integer.MAX_VALUE, max = 0;
        long tokens = 0;
        for (Group g : groups) {
            for (Rollout r : g.rollouts()) {
                int len = r.completionIds().length;
                sum += len;
                count++;
                min = Math.min(min, len);
                max = Math.max(max, len);
                tokens += len + r.promptIds().length;
                if (r.finishReason() == FinishReason.LENGTH) clipped++;
                else terminatedSum += len;
            }
        }
        metrics.put("completions/mean_length", sum / Math.max(count, 1));
        metrics.put("completions/min_length", (double) (count == 0 ? 0 : min));
        metrics.put("completions/max_length", (double) max);
        metrics.put("completions/clipped_ratio", (double) clipped / Math.max(count, 1));
        metrics.put("completions/mean_terminated_length", count == clipped ? 0 : terminatedSum / (count - clipped));
        return tokens;
    }

    private void logSamples(long step, List<Group> kept, float[] advantages) {
        int k = config.groupSize();
        List<int[]> picks = new ArrayList<>(); // sample 0 of the first groups, then more of the first group
        for (int g = 0; g < kept.size() && picks.size() < LOGGED_SAMPLES; g++) picks.add(new int[] {g, 0});
        for (int i = 1; i < k && picks.size() < LOGGED_SAMPLES; i++) picks.add(new int[] {0, i});
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int[] p : picks) {
            Group g = kept.get(p[0]);
            Sample s = g.samples().get(p[1]);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("prompt", s.prompt());
            line.put("completion", s.completion());
            if (prompts.format() == Format.VERIFIABLE) { // checked rows: an answer and a known verifier
                line.put("answer", s.field("answer"));
                line.put("extracted", new VerifierReward().verdict(s, lines.size()).extracted()); // what the verifier read
            }
            line.put("reward", (double) g.rewards()[p[1]]);
            line.put("advantage", (double) advantages[p[0] * k + p[1]]);
            lines.add(line);
        }
        samples.append(step + 1, lines);
    }

    private static RlvrRewards.Scores concat(List<RlvrRewards.Scores> parts) {
        if (parts.size() == 1) return parts.get(0);
        int f = parts.get(0).functions(), n = 0;
        for (RlvrRewards.Scores p : parts) n += p.total().length;
        float[] per = new float[n * f], total = new float[n];
        int at = 0;
        for (RlvrRewards.Scores p : parts) {
            System.arraycopy(p.perFunction(), 0, per, at * f, p.perFunction().length);
            System.arraycopy(p.total(), 0, total, at, p.total().length);
            at += p.total().length;
        }
        return new RlvrRewards.Scores(per, total, f);
    }
}
