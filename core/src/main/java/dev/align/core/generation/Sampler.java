package dev.align.core.generation;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from one row of logits: greedy, or temperature with top-k and top-p. */
final class Sampler {
    record Choice(int token, float logProb) {}

    private Sampler() {}

    static Choice choose(float[] logits, SamplingConfig cfg, Random rng) {
        float temperature = cfg.greedy() ? 1f : cfg.temperature();
        double[] logp = logSoftmax(logits, temperature);
        if (cfg.greedy()) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
            return new Choice(best, (float) logp[best]);
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(logp[b], logp[a]) != 0 ? Double.compare(logp[b], logp[a]) : a - b);
        int keep = cfg.topK() > 0 ? Math.min(cfg.topK(), order.length) : order.length;
        if (cfg.topP() < 1f) { // smallest prefix whose mass reaches top-p, at least one token
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += Math.exp(logp[order[i]]);
                if (mass >= cfg.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += Math.exp(logp[order[i]]);
        double u = rng.nextDouble() * kept;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += Math.exp(logp[order[i]]);
            if (u < acc) return new Choice(order[i], (float) logp[order[i]]);
        }
        int last = order[keep - 1];
        return new Choice(last, (float) logp[last]);
    }

    static double[] logSoftmax(float[] logits, float temperature) {
        double[] out = new double[logits.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] / (double) temperature;
            max = Math.max(max, out[i]);
        }
        double sum = 0;
        for (double l : out) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        for (int i = 0; i < out.length; i++) out[i] -= logZ;
        return out;
    }
}
