package dev.align.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.align.core.logprob.ReferencePolicy;
import dev.align.core.logprob.TokenLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.train.CausalLmLoss;
import dev.align.core.train.Objective;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.ExampleEncoder;
import dev.align.datasets.KeptRows;
import dev.align.datasets.TokenizedExample;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Direct preference optimisation on {@code {"prompt", "chosen", "rejected"}} pairs. Metrics use
 * TRL's names: {@code rewards/chosen} and {@code rewards/rejected} (β times the log-ratio to the
 * reference), {@code rewards/accuracies}, {@code rewards/margins}, {@code logps/chosen} and
 * {@code logps/rejected} (the policy's), and {@code nll_loss} when {@code rpo_alpha} is set.
 *
 * <p>As TRL, a pair whose prompt fills max_length (no completion token would be left) is dropped
 * before training. Every logged line carries the counts over the training data: {@code
 * num_dropped_too_long} (pairs dropped), {@code num_truncated} (kept pairs with a side cut at
 * max_length) and {@code num_prompt_truncated} (pairs whose prompt was cut from the left to
 * max_prompt_length); evaluation adds {@code eval/num_dropped_too_long}.
 *
 * <p>A pair with a soft {@code label} (the probability that its chosen response is better, from AI
 * feedback) trains cDPO with ε = 1 − label when the loss is sigmoid and label_smoothing > 0 ({@link
 * DpoConfig#softLabels}); pairs without one keep the global ε. Otherwise labels are not used.
 */
public final class DpoObjective implements Objective {
    private final Dataset train;
    private final Dataset eval;
    private final ExampleEncoder encoder;
    private final DpoConfig config;
    private final ReferencePolicy reference;
    private final int padId;
    private final KeptRows trainRows;
    private final KeptRows evalRows;
    private final Map<String, Double> dataCounts = new LinkedHashMap<>();
    private final int labelled;

    DpoObjective(Dataset train, Dataset eval, ExampleEncoder encoder, DpoConfig config, ReferencePolicy reference,
            int padId) {
        this.train = train;
        this.eval = eval;
        this.encoder = encoder;
        this.config = config;
        this.reference = reference;
        this.padId = padId;
        int[] cut = new int[3];
        trainRows = fitting(train, cut);
        evalRows = eval == null ? null : fitting(eval, new int[3]);
        labelled = cut[2];
        dataCounts.put("num_dropped_too_long", (double) trainRows.dropped());
        dataCounts.put("num_truncated", (double) cut[0]);
        dataCounts.put("num_prompt_truncated", (double) cut[1]);
    }

    /**
     * The pairs that keep a completion token under max_length (TRL drops a pair whose prompt fills it);
     * counts into {@code cut} the kept pairs cut at max_length ([0]), those whose prompt was cut ([1]) and
     * those with a soft {@code label} ([2]).
     */
    private KeptRows fitting(Dataset data, int[] cut) {
        return KeptRows.of(data, i -> {
            if (!(data.get(i) instanceof Example.Preference p)) return true; // PreferenceBatch names the problem
            TokenizedExample chosen = encoder.promptCompletion(p.prompt(), p.chosen());
            TokenizedExample rejected = encoder.promptCompletion(p.prompt(), p.rejected());
            if (chosen.completionLength() == 0 || rejected.completionLength() == 0) return false;
            if (chosen.truncated() || rejected.truncated()) cut[0]++;
            if (chosen.promptTruncated()) cut[1]++;
            if (p.hasLabel()) cut[2]++;
            return true;
        }, "each prompt fills max_length (" + config.training().maxLength() + " tokens)");
    }

    /**
     * What becomes of the training pairs' soft {@code label}s, one line, or null when no pair has one: cDPO
     * trains on them ({@link DpoConfig#softLabels}), other settings leave them unused.
     */
    String labelNote() {
        if (labelled == 0) return null;
        String rows = labelled + " of " + trainRows.size() + " pairs carry a soft 'label'";
        return config.softLabels()
                ? rows + ": cDPO with label_smoothing 1 - label on them (" + config.labelSmoothing() + " on the rest)"
                : rows + "; set label_smoothing > 0 (sigmoid loss) to train on them (cDPO)";
    }

    @Override
    public int size() {
        return trainRows.size();
    }

    @Override
    public Step loss(PolicyModel model, int[] examples) {
        Pass p = pass(model, train, trainRows.at(examples));
        p.metrics.putAll(dataCounts);
        return new Step(p.loss, p.metrics, p.tokens);
    }

    @Override
    public Map<String, Double> evaluate(PolicyModel model) {
        if (eval == null) return Map.of();
        Map<String, Double> sums = new LinkedHashMap<>();
        int batchSize = Math.max(1, config.training().perDeviceTrainBatchSize());
        for (int start = 0; start < evalRows.size(); start += batchSize) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                int n = Math.min(batchSize, evalRows.size() - start);
                int[] examples = new int[n];
                for (int i = 0; i < n; i++) examples[i] = evalRows.indices()[start + i];
                Pass p = pass(model, eval, examples);
                sums.merge("eval/loss", (double) Scalars.toFloat(p.loss) * n, Double::sum);
                p.metrics.forEach((k, v) -> sums.merge("eval/" + k, v * n, Double::sum));
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, v / evalRows.size()));
        out.put("eval/num_dropped_too_long", (double) evalRows.dropped());
        return out;
    }

    private record Pass(NDArray loss, Map<String, Double> metrics, long tokens) {}

    private Pass pass(PolicyModel model, Dataset data, int[] examples) {
        boolean normalised = config.lossType() == DpoConfig.LossType.IPO;
        PreferenceBatch batch = PreferenceBatch.of(model.manager(), data, examples, encoder, padId, config.labelSmoothing(),
                config.softLabels());
        TokenLogProbs tokens = batch.tokenLogProbs(model); // (2B, T−1)
        NDArray policy = batch.logProbs(tokens, normalised); // (B, 2): chosen, rejected
        NDArray ref = reference.scores(model.manager(), data, examples,
                (r, ex) -> batch.referenceLogProbs(r, normalised)); // (B, 2)
        NDArray ratios = policy.sub(ref); // (B, 2): log π/π_ref of the chosen and the rejected response
        NDArray h = ratios.get(":, 0").sub(ratios.get(":, 1")); // (B)
        NDArray loss = (config.softLabels() ? DpoLoss.sigmoid(h, config.beta(), batch.labelSmoothing()) // ε per pair
                : DpoLoss.of(config.lossType(), h, config.beta(), config.labelSmoothing())).mean();
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (config.rpoAlpha() > 0) { // RPO: NLL of the chosen responses, averaged over their tokens
            NDArray nll = CausalLmLoss.of(tokens.rows(0, batch.pairs()));
            loss = loss.add(nll.mul(Scalars.constant(nll, config.rpoAlpha())));
            metrics.put("nll_loss", (double) Scalars.toFloat(nll));
        }
        float[] r = ratios.mul((float) config.beta()).toFloatArray(), logps = policy.toFloatArray(); // (B, 2) each
        double c = 0, rj = 0, acc = 0, lc = 0, lr = 0;
        int n = examples.length;
        for (int i = 0; i < n; i++) {
            c += r[2 * i];
            rj += r[2 * i + 1];
            acc += r[2 * i] > r[2 * i + 1] ? 1 : 0;
            lc += logps[2 * i];
            lr += logps[2 * i + 1];
        }
        metrics.put("rewards/chosen", c / n);
        metrics.put("rewards/rejected", rj / n);
        metrics.put("rewards/accuracies", acc / n);
        metrics.put("rewards/margins", (c - rj) / n);
        metrics.put("logps/chosen", lc / n);
        metrics.put("logps/rejected", lr / n);
        return new Pass(loss, metrics, batch.tokens().tokens());
    }
}
