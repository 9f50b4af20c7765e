package dev.align.core.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained reward model's score of each (prompt, completion), read by its scalar head at the last
 * token ({@link PolicyModel#scores}), optionally whitened with the mean and standard deviation recorded
 * at training time: r = (s − mean) / std (OpenRLHF's {@code normalize_reward}).
 *
 * <p>All samples are scored in one batched pass (right-padded). When the reward model's tokenizer
 * has the policy's vocabulary the samples' ids are scored as they are (prompt ids, then completion
 * ids); otherwise the texts are re-encoded with the reward model's tokenizer: {@code
 * encode(prompt, special tokens)} then {@code encode(completion)} plus its eos, as {@code align rm}
 * encodes a text pair. A sequence longer than the model's positions keeps its last tokens (the score
 * is read at the end). The reward model should be frozen ({@code setTrainable(false)}).
 */
public final class RewardModelReward implements RewardFunction {
    private final PolicyModel model;
    private final Tokenizer policyTokenizer;
    private final RewardStatistics whitening;

    /**
     * @param model a model with a score head
     * @param policyTokenizer the tokenizer that produced the samples' ids
     * @param whitening the statistics to whiten with, or null for raw scores
     */
    public RewardModelReward(PolicyModel model, Tokenizer policyTokenizer, RewardStatistics whitening) {
        if (!model.hasScoreHead()) {
            throw new IllegalArgumentException("the reward model has no reward head (score.weight); train one with 'align rm'");
        }
        this.model = model;
        this.policyTokenizer = policyTokenizer;
        this.whitening = whitening;
    }

    /** Whitened with the statistics recorded in the model's config.json ({@code mean}, {@code std}). */
    public static RewardModelReward whitened(PolicyModel model, Tokenizer policyTokenizer) {
        RewardStatistics stats = RewardStatistics.of(model.config());
        if (stats == null) {
            throw new IllegalArgumentException("the reward model's config.json has no 'mean' and 'std' to whiten with "
                    + "(align rm records them); use raw scores instead");
        }
        return new RewardModelReward(model, policyTokenizer, stats);
    }

    /** The token ids the reward model scores for a sample. */
    public int[] idsOf(Sample s) {
        int[] ids;
        if (s.hasIds() && model.tokenizer().sameVocabulary(policyTokenizer)) {
            ids = concat(s.promptIds(), s.completionIds(), null);
        } else {
            Tokenizer t = model.tokenizer();
            ids = concat(t.encode(s.prompt(), true), t.encode(s.completion(), false), t.eosIds()[0]);
        }
        int max = model.config().maxPositions();
        if (ids.length > max) ids = java.util.Arrays.copyOfRange(ids, ids.length - max, ids.length);
        return ids;
    }

    /** Raw scores s (B), one batched pass. */
    public float[] scores(List<Sample> samples) {
        if (samples.isEmpty()) return new float[0];
        List<int[]> rows = new ArrayList<>();
        for (Sample s : samples) rows.add(idsOf(s));
        int b = rows.size(), t = Math.max(1, rows.stream().mapToInt(r -> r.length).max().orElse(1));
        long[] ids = new long[b * t], mask = new long[b * t];
        int pad = model.tokenizer().padId();
        for (int r = 0; r < b; r++) {
            int[] row = rows.get(r);
            for (int i = 0; i < t; i++) {
                ids[r * t + i] = i < row.length ? row[i] : pad;
                mask[r * t + i] = i < row.length ? 1 : 0;
            }
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDManager m = model.manager();
            NDArray idArray = m.create(ids, new Shape(b, t)); // (B, T)
            NDArray maskArray = m.create(mask, new Shape(b, t)); // (B, T)
            return model.scores(model.hidden(idArray, maskArray), maskArray).toFloatArray(); // (B)
        }
    }

    @Override
    public float[] rewards(List<Sample> samples) {
        float[] s = scores(samples);
        if (whitening != null) for (int i = 0; i < s.length; i++) s[i] = (float) whitening.whiten(s[i]);
        return s;
    }

    @Override
    public String name() {
        return "reward_model";
    }

    private static int[] concat(int[] a, int[] b, Integer eos) {
        int[] out = new int[a.length + b.length + (eos == null ? 0 : 1)];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        if (eos != null) out[out.length - 1] = eos;
        return out;
    }
}
