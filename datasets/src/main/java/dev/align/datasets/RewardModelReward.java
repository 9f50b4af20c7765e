package dev.align.datasets;

import dev.align.core.model.PolicyModel;
import dev.align.core.model.RewardStatistics;
import dev.align.core.reward.RewardFunction;
import dev.align.core.reward.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A trained reward model's score of each (prompt, completion) as a {@link RewardFunction}, read by its
 * scalar head at the last token, optionally whitened with the mean and standard deviation recorded at
 * training time: r = (s − mean) / std (OpenRLHF's {@code normalize_reward}).
 *
 * <p><b>Encoded as {@code align rm} trains.</b> Each sample goes through {@link ResponseScorer#encode},
 * the encoding reward training uses: a chat prompt ({@link Sample#promptMessages}) and the completion
 * rendered with the reward model's chat template and tokenized in one pass (ending with what the
 * template closes a turn with, e.g. {@code <|im_end|>\n}); a plain prompt and completion as one text
 * with the tokenizer's BOS and one EOS. The policy's token ids are never scored as they are, even
 * with the same vocabulary: a generation stops at {@code <|im_end|>}, and prompt and completion encoded
 * apart are not the one-pass tokens (SentencePiece puts a "▁" at the boundary).
 *
 * <p>A sequence longer than the model's positions keeps its last tokens (the score is read at the
 * end). The reward model should be frozen ({@code setTrainable(false)}).
 */
public final class RewardModelReward implements RewardFunction {
    private final PolicyModel model;
    private final ResponseScorer scorer;
    private final RewardStatistics whitening;

    /**
     * @param model a model with a score head
     * @param whitening the statistics to whiten with, or null for raw scores
     * @param batchSize how many samples one forward pass scores
     */
    public RewardModelReward(PolicyModel model, RewardStatistics whitening, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.scorer = new ResponseScorer(model, Integer.MAX_VALUE, batchSize);
        this.model = model;
        this.whitening = whitening;
    }

    /** Whitened with the statistics recorded in the model's config.json ({@code mean}, {@code std}). */
    public static RewardModelReward whitened(PolicyModel model, int batchSize) {
        RewardStatistics stats = RewardStatistics.of(model.config());
        if (stats == null) {
            throw new IllegalArgumentException("the reward model's config.json has no 'mean' and 'std' to whiten with "
                    + "(align rm records them); use raw scores instead");
        }
        return new RewardModelReward(model, stats, batchSize);
    }

    /** The token ids the reward model scores for a sample. */
    public int[] idsOf(Sample s) {
        return encode(s).ids();
    }

    /** Raw scores s (B), in order. */
    public float[] scores(List<Sample> samples) {
        List<TokenizedExample> rows = new ArrayList<>();
        for (Sample s : samples) rows.add(encode(s));
        return scorer.scoreTokenized(rows);
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

    private TokenizedExample encode(Sample s) {
        Example.Turns prompt = s.conversational() ? Example.Turns.of(s.promptMessages()) : Example.Turns.of(s.prompt());
        TokenizedExample e = scorer.encode(prompt, Example.Turns.of(s.completion()));
        int max = model.config().maxPositions();
        if (e.length() <= max) return e;
        int from = e.length() - max; // keep the end, where the score is read
        return new TokenizedExample(Arrays.copyOfRange(e.ids(), from, e.length()), Arrays.copyOfRange(e.loss(), from, e.length()),
                Math.max(0, e.promptLength() - from), true, false);
    }
}
