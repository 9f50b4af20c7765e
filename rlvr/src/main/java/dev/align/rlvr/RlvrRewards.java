package dev.align.rlvr;

import dev.align.core.BadInputException;
import dev.align.core.reward.FormatReward;
import dev.align.core.reward.RewardFunction;
import dev.align.core.reward.Sample;
import dev.align.core.reward.Verifier;
import dev.align.core.reward.VerifierReward;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reward functions of a run ({@code reward_funcs}) with their weights ({@code reward_weights}): TRL's {@code
 * rewards_per_func} and their weighted sum r = Σₖ wₖ·rₖ. Each function keeps its own column so that {@code
 * rewards/NAME/mean} and {@code /std} can be logged, as TRL logs them.
 *
 * <p>Names: {@code verifier} grades each row by its own {@code verifier} column ({@link VerifierReward});
 * {@code number}, {@code choice}, {@code exact} and {@code regex:P} grade every row by that verifier; {@code
 * format:P} pays 1 when the completion matches P ({@link FormatReward}); anything else is the class name of a
 * user's {@link RewardFunction} ({@link RewardFunction#load}).
 */
public final class RlvrRewards {
    private final List<RewardFunction> functions;
    private final List<String> names;
    private final double[] weights;
    private final boolean needsAnswers;

    /** Rewards per function (n × F, row-major) and their weighted sum (n). */
    public record Scores(float[] perFunction, float[] total, int functions) {
        /** Column k: every sample's reward from function k. */
        public float[] column(int k) {
            float[] out = new float[total.length];
            for (int i = 0; i < out.length; i++) out[i] = perFunction[i * functions + k];
            return out;
        }
    }

    public RlvrRewards(List<RewardFunction> functions, double[] weights) {
        this(functions, weights, true);
    }

    private RlvrRewards(List<RewardFunction> functions, double[] weights, boolean needsAnswers) {
        if (functions.isEmpty() || functions.size() != weights.length) {
            throw new IllegalArgumentException(functions.size() + " reward functions, " + weights.length + " weights");
        }
        this.functions = List.copyOf(functions);
        this.weights = weights.clone();
        this.needsAnswers = needsAnswers;
        List<String> n = new ArrayList<>();
        for (RewardFunction f : functions) {
            String name = f.name();
            String unique = name;
            for (int k = 2; n.contains(unique); k++) unique = name + "_" + k;
            n.add(unique);
        }
        this.names = List.copyOf(n);
    }

    /** The functions named by the config; a bad name is a one-line {@link BadInputException} naming the key. */
    public static RlvrRewards of(RlvrConfig config) {
        List<RewardFunction> functions = new ArrayList<>();
        boolean answers = false;
        for (String spec : config.rewardFuncs()) {
            String s = spec.trim();
            try {
                if (s.equals("verifier")) {
                    functions.add(new VerifierReward());
                    answers = true;
                } else if (s.startsWith("format:")) {
                    functions.add(new FormatReward(s.substring("format:".length())));
                } else if (isVerifier(s)) {
                    functions.add(fixed(Verifier.of(s)));
                    answers = true;
                } else {
                    functions.add(RewardFunction.load(s));
                }
            } catch (IllegalArgumentException e) {
                throw new BadInputException("key 'reward_funcs': '" + s + "': " + e.getMessage());
            } catch (BadInputException e) {
                throw new BadInputException("key 'reward_funcs': " + e.getMessage());
            }
        }
        double[] w = new double[functions.size()];
        for (int i = 0; i < w.length; i++) w[i] = config.weight(i);
        return new RlvrRewards(functions, w, answers);
    }

    private static boolean isVerifier(String s) {
        return s.equals("number") || s.equals("choice") || s.equals("exact") || s.startsWith("regex:");
    }

    /** Every sample graded by one verifier against its {@code answer} field, whatever its row's {@code verifier}. */
    static RewardFunction fixed(Verifier verifier) {
        String name = verifier.name().startsWith("regex:") ? "regex" : verifier.name();
        return new RewardFunction() {
            @Override
            public float[] rewards(List<Sample> samples) {
                float[] out = new float[samples.size()];
                for (int i = 0; i < out.length; i++) {
                    String answer = samples.get(i).field("answer");
                    if (answer == null) throw new BadInputException("sample " + i + ": field 'answer': missing");
                    out[i] = verifier.verify(answer, samples.get(i).completion()).reward();
                }
                return out;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /** Whether some function reads the rows' {@code answer} (so the data must be verifiable rows). */
    public boolean needsAnswers() {
        return needsAnswers;
    }

    /** Metric names, one per function, unique. */
    public List<String> names() {
        return names;
    }

    public Scores score(List<Sample> samples) {
        int n = samples.size(), f = functions.size();
        float[] per = new float[n * f];
        double[] sum = new double[n];
        for (int k = 0; k < f; k++) {
            float[] r = functions.get(k).rewards(samples);
            if (r.length != n) {
                throw new IllegalStateException(names.get(k) + " returned " + r.length + " rewards for " + n + " samples");
            }
            for (int i = 0; i < n; i++) {
                per[i * f + k] = r[i];
                sum[i] += weights[k] * r[i];
            }
        }
        float[] total = new float[n];
        for (int i = 0; i < n; i++) total[i] = (float) sum[i];
        return new Scores(per, total, f);
    }

    /** {@code rewards/NAME/mean} and {@code /std} (unbiased, as TRL's nanstd) of each function. */
    public Map<String, Double> metrics(Scores scores) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            float[] c = scores.column(k);
            out.put("rewards/" + names.get(k) + "/mean", mean(c));
            out.put("rewards/" + names.get(k) + "/std", std(c));
        }
        return out;
    }

    /** The mean of x (0 when empty). */
    static double mean(float[] x) {
        double s = 0;
        for (float v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    /** The unbiased std of x (0 for fewer than two values), as TRL's {@code nanstd}. */
    static double std(float[] x) {
        if (x.length < 2) return 0;
        double m = mean(x), s = 0;
        for (float v : x) s += (v - m) * (v - m);
        return Math.sqrt(s / (x.length - 1));
    }
}
