package dev.align.evals.report;

import dev.align.core.stats.PairedBootstrap;
import dev.align.core.stats.Wilson;

/**
 * How the report's statistics are computed.
 *
 * @param seed the bootstrap's seed (every comparison uses it: the same results give the same report)
 * @param resamples bootstrap resamples per interval
 * @param level the confidence level of every interval (Wilson and bootstrap)
 * @param alpha the family-wise error rate at which Holm-adjusted comparisons are marked significant
 */
public record ReportSettings(long seed, int resamples, double level, double alpha) {
    public static final long DEFAULT_SEED = 0L;
    public static final double DEFAULT_ALPHA = 0.05;

    public ReportSettings {
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
    }

    /** Seed 0, 10000 resamples, 95% intervals, Holm at 0.05. */
    public static ReportSettings defaults() {
        return new ReportSettings(DEFAULT_SEED, PairedBootstrap.DEFAULT_RESAMPLES, Wilson.DEFAULT_LEVEL, DEFAULT_ALPHA);
    }

    public ReportSettings withSeed(long seed) {
        return new ReportSettings(seed, resamples, level, alpha);
    }

    public ReportSettings withResamples(int resamples) {
        return new ReportSettings(seed, resamples, level, alpha);
    }
}
