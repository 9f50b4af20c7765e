package dev.align.core.reward;

import java.util.List;

/**
 * r = Σₖ wₖ·rₖ: several reward functions combined with weights, as TRL's GRPO {@code reward_weights}
 * (e.g. accuracy 1.0 plus a format reward 0.5, or a reward model plus a verifier).
 */
public record WeightedSum(List<Term> terms) implements RewardFunction {

    /** One reward function and its weight. */
    public record Term(double weight, RewardFunction function) {}

    public WeightedSum {
        if (terms.isEmpty()) throw new IllegalArgumentException("a weighted sum needs at least one reward function");
        terms = List.copyOf(terms);
    }

    public static WeightedSum of(double w1, RewardFunction f1, double w2, RewardFunction f2) {
        return new WeightedSum(List.of(new Term(w1, f1), new Term(w2, f2)));
    }

    @Override
    public float[] rewards(List<Sample> samples) {
        double[] sum = new double[samples.size()];
        for (Term t : terms) {
            float[] r = t.function().rewards(samples);
            if (r.length != samples.size()) {
                throw new IllegalStateException(t.function().name() + " returned " + r.length + " rewards for "
                        + samples.size() + " samples");
            }
            for (int i = 0; i < r.length; i++) sum[i] += t.weight() * r[i];
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) sum[i];
        return out;
    }

    @Override
    public String name() {
        return "weighted_sum";
    }
}
