package dev.align.core.train;

/**
 * HF's schedules with linear warmup: {@code cosine} (get_cosine_schedule_with_warmup), {@code linear}
 * (decay to 0) and {@code constant}. Optimizer step s (0-based) uses lr · λ(s).
 */
public record LearningRateSchedule(double baseRate, int warmupSteps, int totalSteps, String type) {

    public double at(long step) {
        if (step < warmupSteps) {
            return baseRate * step / Math.max(1, warmupSteps);
        }
        double progress = (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps);
        return switch (type) {
            case "linear" -> baseRate * Math.max(0, 1 - progress);
            case "constant" -> baseRate;
            default -> baseRate * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
