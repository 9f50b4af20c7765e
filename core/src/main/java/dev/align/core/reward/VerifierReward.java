package dev.align.core.reward;

import dev.align.core.BadInputException;
import java.util.List;

/**
 * 1.0 when a completion's final answer is correct, else 0.0: the verifiable reward of RLVR (Tülu 3)
 * and DeepSeek-R1's accuracy reward. Reads each sample's {@code answer} field and its {@code verifier}
 * field ({@link Verifier}: number, choice, exact or regex:P), or the default verifier when absent.
 */
public final class VerifierReward implements RewardFunction {
    private final String defaultVerifier;

    /** Samples without a {@code verifier} field use {@code defaultVerifier}. */
    public VerifierReward(String defaultVerifier) {
        Verifier.of(defaultVerifier); // fails fast on a bad name
        this.defaultVerifier = defaultVerifier;
    }

    /** Samples without a {@code verifier} field use {@code exact}, as the verifiable data format does. */
    public VerifierReward() {
        this("exact");
    }

    @Override
    public float[] rewards(List<Sample> samples) {
        float[] out = new float[samples.size()];
        for (int i = 0; i < out.length; i++) out[i] = verdict(samples.get(i), i).reward();
        return out;
    }

    /** The verdict for one sample (its extracted answer too); {@code index} names it in errors. */
    public Verifier.Verdict verdict(Sample sample, int index) {
        String answer = sample.field("answer");
        if (answer == null) throw new BadInputException("sample " + index + ": field 'answer': missing");
        String name = sample.field("verifier") != null ? sample.field("verifier") : defaultVerifier;
        Verifier v;
        try {
            v = Verifier.of(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("sample " + index + ": field 'verifier': " + e.getMessage());
        }
        return v.verify(answer, sample.completion());
    }

    @Override
    public String name() {
        return "verifier";
    }
}
