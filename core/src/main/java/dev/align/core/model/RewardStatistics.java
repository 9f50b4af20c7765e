package dev.align.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import java.nio.file.Path;

/**
 * Mean and standard deviation of a reward model's scores on its training prompts, kept in the
 * model's {@code config.json} as OpenRLHF does ({@code "mean"}, {@code "std"}), so that PPO can
 * whiten rewards: (r − mean) / std.
 */
public record RewardStatistics(double mean, double std, long count) {

    /** Statistics of scores (population standard deviation). */
    public static RewardStatistics of(float[] scores) {
        double sum = 0, sq = 0;
        for (float s : scores) sum += s;
        double mean = sum / scores.length;
        for (float s : scores) sq += (s - mean) * (s - mean);
        return new RewardStatistics(mean, Math.sqrt(sq / scores.length), scores.length);
    }

    public double whiten(double reward) {
        return (reward - mean) / Math.max(std, 1e-8);
    }

    /** Adds the statistics to a model directory's config.json (atomically). */
    public void writeInto(Path modelDir) {
        Path file = modelDir.resolve(ModelDirectory.CONFIG);
        ObjectNode config = Json.readObject(file);
        config.put("mean", mean);
        config.put("std", std);
        config.put("reward_statistics_count", count);
        AtomicFiles.writeString(file, Json.pretty(config));
    }

    /** The statistics recorded in a model config, or null when there are none. */
    public static RewardStatistics of(ModelConfig config) {
        JsonNode mean = config.raw().get("mean"), std = config.raw().get("std");
        if (mean == null || std == null || !mean.isNumber() || !std.isNumber()) return null;
        return new RewardStatistics(mean.asDouble(), std.asDouble(), config.raw().path("reward_statistics_count").asLong(0));
    }
}
