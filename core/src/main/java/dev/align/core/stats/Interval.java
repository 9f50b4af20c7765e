package dev.align.core.stats;

/** A confidence interval {@code [lower, upper]}; both NaN when there was nothing to estimate from. */
public record Interval(double lower, double upper) {
    public static final Interval UNDEFINED = new Interval(Double.NaN, Double.NaN);

    public boolean isDefined() {
        return !Double.isNaN(lower) && !Double.isNaN(upper);
    }

    public boolean contains(double x) {
        return lower <= x && x <= upper;
    }

    /** {@code [0.31, 0.54]}, two decimals. */
    public String format() {
        return "[" + Proportion.decimal(lower) + ", " + Proportion.decimal(upper) + "]";
    }
}
