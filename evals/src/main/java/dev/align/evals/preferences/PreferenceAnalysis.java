package dev.align.evals.preferences;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.datasets.Dataset;
import dev.align.datasets.Example;
import dev.align.datasets.Format;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;

/**
 * What raters reward, read from a preference file the way Sharma et al. (2023, §3) read hh-rlhf: a
 * logistic regression that predicts which of two responses was preferred from the differences of their
 * interpretable features.
 *
 * <p>Each pair (c, r) gives d = f(c) − f(r) for the features f of a {@link PreferenceFeatures}. Its order
 * is drawn at random (seeded): with probability ½ the row is (x = d, y = 1, "the first was preferred"),
 * else (x = −d, y = 0). So P(first preferred) = σ(β₀ + β·x) with β₀ ≈ 0 by symmetry (it is fitted, and
 * reported, as a check); β_k is the log-odds of preference per unit of feature k, all else equal, and
 * exp(β_k) its odds ratio. 0/1 features stay as they are; others are divided by their standard deviation
 * over all responses (β per standard deviation).
 *
 * <p>The coefficients are Tribuo's ({@link LogisticRegression#tribuo}); the exact maximum-likelihood fit
 * (Newton–Raphson) is reported beside them as a check, and gives the Wald intervals; the percentile
 * bootstrap resamples pairs and refits exactly. Features that the file cannot give (a column missing),
 * that never differ within a pair, or that are a linear combination of earlier ones are left out with a
 * note; when none is left the analysis stops with a one-line error.
 */
public final class PreferenceAnalysis {
    private PreferenceAnalysis() {}

    static final double LEVEL = 0.95;
    /** How close Tribuo's coefficients must come to the exact fit to be reported without a note. */
    static final double CONVERGED = 0.01;

    /** @param resamples bootstrap resamples (0: Wald intervals only) */
    public record Settings(long seed, int resamples) {
        public static Settings defaults() {
            return new Settings(1, 200);
        }
    }

    /**
     * One feature's (or the intercept's) estimate.
     *
     * @param estimate Tribuo's log-odds coefficient
     * @param exact the maximum-likelihood coefficient (Newton–Raphson)
     * @param wald the 95% Wald interval around {@code exact}: ± 1.96 standard errors from the observed information
     * @param bootstrap the 95% percentile bootstrap interval (NaN without resamples)
     * @param differing pairs whose chosen and rejected responses differ in this feature
     * @param scale what one unit of the feature is: 1 for 0/1 features, else its standard deviation in the feature's own units
     */
    public record Coefficient(String feature, double estimate, double exact, double[] wald, double[] bootstrap,
            double standardError, int differing, double scale) {
        public double oddsRatio() {
            return Math.exp(estimate);
        }
    }

    /**
     * @param pairwiseAccuracy the share of pairs in which the fitted features score the chosen response
     *     higher (β·(f(c) − f(r)) > 0, without the intercept; a tie counts ½), on the pairs fitted
     * @param tribuoVsExact the largest |Tribuo − exact| over the coefficients and the intercept
     */
    public record Result(Path file, int pairs, long seed, List<Coefficient> coefficients, Coefficient intercept,
            double pairwiseAccuracy, double tribuoVsExact, int resamples, int failedResamples, List<String> notes) {

        public Coefficient coefficient(String feature) {
            return coefficients.stream().filter(c -> c.feature().equals(feature)).findFirst().orElse(null);
        }

        /** The terminal table. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(file.getFileName()).append(": ").append(pairs).append(" pairs; P(first preferred) = σ(β₀ + β·(f(first) − f(second))), "
                    + "pair order drawn with seed ").append(seed).append('\n');
            List<Coefficient> rows = new ArrayList<>(coefficients);
            rows.add(intercept);
            int width = rows.stream().mapToInt(c -> label(c).length()).max().orElse(0) + 2;
            String format = "%-" + width + "s %8s  %-18s  %-18s  %10s  %s%n";
            sb.append(String.format(Locale.ROOT, format, "feature", "coef", "95% CI (Wald)",
                    "95% CI (bootstrap)", "odds ratio", "pairs (differ)"));
            for (Coefficient c : rows) {
                sb.append(String.format(Locale.ROOT, format, label(c), number(c.estimate()), interval(c.wald()),
                        interval(c.bootstrap()), number(c.oddsRatio()), c == intercept ? "-" : pairs + " (" + c.differing() + ")"));
            }
            sb.append(String.format(Locale.ROOT, "pairwise accuracy of the fitted features: %.3f; the intercept is the "
                    + "preference for the response shown first, ≈ 0 as the order is random%n", pairwiseAccuracy));
            sb.append(String.format(Locale.ROOT, "coefficients: Tribuo LinearSGDTrainer (LogMulticlass, w_first − w_second); "
                    + "exact Newton–Raphson fit differs by at most %.1e%n", tribuoVsExact));
            sb.append(resamples == 0 ? "bootstrap: none (0 resamples)\n" : String.format(Locale.ROOT,
                    "bootstrap: %d resamples of pairs, refitted exactly%s%n", resamples,
                    failedResamples == 0 ? "" : " (" + failedResamples + " could not be fitted, left out)"));
            for (Coefficient c : coefficients) {
                if (c.scale() != 1) {
                    sb.append(String.format(Locale.ROOT, "%s: standardised, 1 SD = %.4g%n", c.feature(), c.scale()));
                }
            }
            for (String note : notes) sb.append("note: ").append(note).append('\n');
            return sb.toString();
        }

        public ObjectNode json() {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("file", file.toString());
            root.put("pairs", pairs);
            root.put("seed", seed);
            root.put("model", "P(first preferred) = sigmoid(intercept + coef . (f(first) - f(second)))");
            ArrayNode features = root.putArray("features");
            for (Coefficient c : coefficients) features.add(json(c));
            root.set("intercept", json(intercept));
            root.put("pairwise_accuracy", pairwiseAccuracy);
            root.put("tribuo_vs_exact_max_abs_difference", tribuoVsExact);
            root.put("bootstrap_resamples", resamples);
            root.put("bootstrap_failed", failedResamples);
            ArrayNode n = root.putArray("notes");
            notes.forEach(n::add);
            return root;
        }

        private ObjectNode json(Coefficient c) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("feature", c.feature());
            o.put("coefficient", c.estimate());
            o.put("exact_coefficient", c.exact());
            o.put("standard_error", c.standardError());
            o.putArray("wald_95").add(c.wald()[0]).add(c.wald()[1]);
            ArrayNode boot = o.putArray("bootstrap_95");
            if (!Double.isNaN(c.bootstrap()[0])) boot.add(c.bootstrap()[0]).add(c.bootstrap()[1]);
            o.put("odds_ratio", c.oddsRatio());
            o.put("pairs_differing", c.differing());
            o.put("scale", c.scale());
            return o;
        }

        private String label(Coefficient c) {
            if (c == intercept) return "intercept (≈ 0)";
            return c.feature() + (c.scale() == 1 ? "" : " (per SD)");
        }

        private static String number(double v) {
            return String.format(Locale.ROOT, "%.3f", v);
        }

        private static String interval(double[] ci) {
            if (Double.isNaN(ci[0])) return "-";
            return String.format(Locale.ROOT, "[%.3f, %.3f]", ci[0], ci[1]);
        }
    }

    /** Reads {@code file} (preference rows), computes the features, fits, and bootstraps. */
    public static Result analyze(Path file, PreferenceFeatures features, Settings settings) {
        Responses responses = Responses.read(file, features);
        List<String> names = responses.names();
        int n = responses.chosen().size();
        List<String> notes = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int k = 0; k < names.size(); k++) {
            if (responses.missingRows()[k] > 0) {
                notes.add(names.get(k) + ": left out; " + responses.missingRows()[k] + " of " + n + " rows cannot give it (first: "
                        + file + ":" + responses.firstMissingLine()[k]
                        + (responses.missingField()[k] == null ? "" : ", field '" + responses.missingField()[k] + "' missing") + ")");
            } else if (responses.differing(k) == 0) {
                notes.add(names.get(k) + ": left out; the same for chosen and rejected in every pair");
            } else {
                kept.add(k);
            }
        }
        double[] scale = new double[names.size()];
        for (int k : kept) scale[k] = scaleOf(responses, k);
        // Random order per pair: x = ±(f(c) − f(r)) / scale, y = 1 when the chosen response is shown first.
        Random order = new Random(settings.seed());
        int[] y = new int[n];
        double[][] oriented = new double[n][names.size()];
        for (int i = 0; i < n; i++) {
            boolean chosenFirst = order.nextBoolean();
            y[i] = chosenFirst ? 1 : 0;
            for (int k : kept) oriented[i][k] = (chosenFirst ? 1 : -1) * responses.difference(i, k) / scale[k];
        }
        kept = independent(oriented, kept, names, notes);
        if (kept.isEmpty()) throw nothingLeft(file, responses, notes);
        List<String> keptNames = kept.stream().map(names::get).collect(Collectors.toList());
        double[][] x = new double[n][kept.size()];
        for (int i = 0; i < n; i++) for (int j = 0; j < kept.size(); j++) x[i][j] = oriented[i][kept.get(j)];

        LogisticRegression.Fit fit;
        try {
            fit = LogisticRegression.newtonRaphson(x, y);
        } catch (LogisticRegression.NotEstimableException e) {
            throw BadInputException.in(file, e.getMessage() + " (features: " + String.join(", ", keptNames) + ")");
        }
        double[] tribuo = LogisticRegression.tribuo(x, y, keptNames, settings.seed());
        LogisticRegression.Bootstrap boot = LogisticRegression.bootstrap(x, y, settings.resamples(), settings.seed() + 1);
        double gap = 0;
        for (int j = 0; j < tribuo.length; j++) gap = Math.max(gap, Math.abs(tribuo[j] - fit.coefficients()[j]));
        if (gap > CONVERGED) {
            notes.add(String.format(Locale.ROOT, "Tribuo's SGD is %.3g from the exact fit (more than %.2g): trust the exact "
                    + "coefficients (JSON: exact_coefficient), around which the intervals are drawn", gap, CONVERGED));
        }
        List<Coefficient> coefficients = new ArrayList<>();
        for (int j = 0; j <= kept.size(); j++) { // the features, then the intercept
            boolean feature = j < kept.size();
            double[] interval = settings.resamples() > 0 ? boot.percentileInterval(j, LEVEL) : new double[] {Double.NaN, Double.NaN};
            coefficients.add(new Coefficient(feature ? keptNames.get(j) : "intercept", tribuo[j], fit.coefficients()[j],
                    fit.waldInterval(j, LEVEL), interval, fit.standardError(j), feature ? responses.differing(kept.get(j)) : n,
                    feature ? scale[kept.get(j)] : 1));
        }
        Coefficient intercept = coefficients.remove(kept.size());
        double right = 0;
        for (int i = 0; i < n; i++) {
            double score = 0; // β·(f(c) − f(r)), scaled as fitted
            for (int j = 0; j < kept.size(); j++) score += tribuo[j] * responses.difference(i, kept.get(j)) / scale[kept.get(j)];
            right += score > 0 ? 1 : score == 0 ? 0.5 : 0;
        }
        return new Result(file, n, settings.seed(), coefficients, intercept, right / n, gap, settings.resamples(),
                boot.failed(), notes);
    }

    /**
     * The features of every pair's two responses, and for each feature the rows that could not give it:
     * how many, the first one's line, and the column it lacks (null when the feature function does not say).
     */
    private record Responses(List<String> names, List<double[]> chosen, List<double[]> rejected, int[] missingRows,
            long[] firstMissingLine, String[] missingField) {

        static Responses read(Path file, PreferenceFeatures features) {
            List<String> names = features.names();
            Responses out = new Responses(names, new ArrayList<>(), new ArrayList<>(), new int[names.size()],
                    new long[names.size()], new String[names.size()]);
            try (Dataset data = Dataset.open(file, Format.PREFERENCE, false)) {
                for (int i = 0; i < data.size(); i++) {
                    long line = data.lineNumber(i);
                    JsonNode row;
                    try {
                        row = Json.MAPPER.readTree(data.line(i));
                    } catch (JsonProcessingException e) {
                        throw BadInputException.at(file, line, null, "invalid JSON: " + Json.problem(e));
                    }
                    Example.Preference pair = (Example.Preference) data.get(i);
                    Map<String, Double> fc = call(features, row, text(pair.chosen()), file, line);
                    Map<String, Double> fr = call(features, row, text(pair.rejected()), file, line);
                    double[] c = new double[names.size()], r = new double[names.size()];
                    for (int k = 0; k < names.size(); k++) {
                        String name = names.get(k);
                        Double a = fc.get(name), b = fr.get(name);
                        if (a == null || b == null) {
                            if (out.missingRows[k]++ == 0) {
                                out.firstMissingLine[k] = line;
                                out.missingField[k] = call(() -> features.missingField(row, name), file, line);
                            }
                        } else if (!Double.isFinite(a) || !Double.isFinite(b)) {
                            throw BadInputException.at(file, line, null, "feature '" + name + "' is not a finite number");
                        } else {
                            c[k] = a;
                            r[k] = b;
                        }
                    }
                    out.chosen.add(c);
                    out.rejected.add(r);
                }
            }
            return out;
        }

        /** f_k(chosen) − f_k(rejected) of pair i. */
        double difference(int i, int k) {
            return chosen.get(i)[k] - rejected.get(i)[k];
        }

        /** How many pairs differ in feature k. */
        int differing(int k) {
            int count = 0;
            for (int i = 0; i < chosen.size(); i++) if (difference(i, k) != 0) count++;
            return count;
        }
    }

    /** The one-line error when no feature is left: the first missing column if one is to blame. */
    private static BadInputException nothingLeft(Path file, Responses responses, List<String> notes) {
        for (int k = 0; k < responses.names().size(); k++) {
            if (responses.missingField()[k] != null) {
                return BadInputException.at(file, responses.firstMissingLine()[k], responses.missingField()[k],
                        "missing: no feature is left to fit (" + String.join("; ", notes) + ")");
            }
        }
        return BadInputException.in(file, "no feature is left to fit (" + String.join("; ", notes) + ")");
    }

    /** 1 when every value of feature k is 0 or 1; else its sample standard deviation over all responses. */
    private static double scaleOf(Responses responses, int k) {
        double[] values = Stream.of(responses.chosen(), responses.rejected()).flatMap(List::stream)
                .mapToDouble(f -> f[k]).toArray();
        if (Arrays.stream(values).allMatch(v -> v == 0 || v == 1)) return 1;
        return new StandardDeviation().evaluate(values);
    }

    /**
     * The features, in order, whose columns are not (numerically) a linear combination of the intercept
     * and the features kept before them: Gram–Schmidt on the columns of x.
     */
    private static List<Integer> independent(double[][] x, List<Integer> candidates, List<String> names, List<String> notes) {
        int n = x.length;
        List<double[]> basis = new ArrayList<>();
        List<String> basisNames = new ArrayList<>();
        double[] ones = new double[n];
        Arrays.fill(ones, 1 / Math.sqrt(n));
        basis.add(ones);
        basisNames.add("the intercept");
        List<Integer> kept = new ArrayList<>();
        for (int k : candidates) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = x[i][k];
            double norm = Math.sqrt(LogisticRegression.dot(v, v));
            for (double[] b : basis) {
                double p = LogisticRegression.dot(v, b);
                for (int i = 0; i < n; i++) v[i] -= p * b[i];
            }
            double residual = Math.sqrt(LogisticRegression.dot(v, v));
            if (residual < 1e-8 * norm) {
                notes.add(names.get(k) + ": left out; in these pairs it is a linear combination of "
                        + String.join(", ", basisNames));
                continue;
            }
            for (int i = 0; i < n; i++) v[i] /= residual;
            basis.add(v);
            basisNames.add(names.get(k));
            kept.add(k);
        }
        return kept;
    }

    /** A response's text: the string, or its messages' contents joined by newlines. */
    static String text(Example.Turns turns) {
        return turns.conversational() ? turns.messages().stream().map(Message::content).collect(Collectors.joining("\n"))
                : turns.text();
    }

    private static Map<String, Double> call(PreferenceFeatures features, JsonNode row, String response, Path file, long line) {
        Map<String, Double> f = call(() -> features.features(row, response), file, line);
        return f == null ? Map.of() : f;
    }

    /** A feature function's errors as one line naming file and line. */
    private static <T> T call(Supplier<T> body, Path file, long line) {
        try {
            return body.get();
        } catch (BadInputException | IllegalArgumentException e) {
            throw BadInputException.at(file, line, null, e.getMessage());
        } catch (RuntimeException e) {
            throw BadInputException.at(file, line, null, "feature function failed: " + e);
        }
    }
}
