package dev.align.evals.preferences;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;
import org.apache.commons.math3.linear.NonSquareMatrixException;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.tribuo.Example;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.datasource.ListDataSource;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Logistic regression with an intercept, P(y = 1 | x) = σ(β₀ + β·x), fitted two ways on the same data:
 * Tribuo's {@link LinearSGDTrainer} (softmax over two labels, whose log-odds coefficients are the
 * difference of the two labels' weights, w₁ − w₀), and the exact maximum-likelihood fit by
 * Newton–Raphson with Commons Math, which also gives the observed information for Wald intervals.
 * Coefficient arrays hold one entry per column of x, then the intercept.
 */
public final class LogisticRegression {
    private LogisticRegression() {}

    static {
        dev.align.evals.TribuoLogging.quiet();
    }

    /**
     * Tribuo's optimiser runs full-batch AdaGrad (η = 1, ε = 0.1, as Tribuo's LogisticRegressionTrainer)
     * for 10⁷ example-gradients, between 1,000 and 10,000 epochs. On the sycophancy world's 960 pairs
     * (10,000 epochs: agreement and length nearly collinear) it lands within 1e-7 of the exact fit;
     * minibatch SGD stayed 0.05–2 away after 3,000 epochs.
     */
    static final long TRIBUO_BUDGET = 10_000_000;
    static final int TRIBUO_MIN_EPOCHS = 1_000, TRIBUO_MAX_EPOCHS = 10_000;
    private static final int MAX_ITERATIONS = 100;
    /** Beyond this |β| the likelihood has no finite maximum in practice: a column separates y. */
    private static final double LARGEST_FINITE = 30;

    /** The likelihood has no unique finite maximum (separated or collinear data). */
    public static final class NotEstimableException extends RuntimeException {
        NotEstimableException(String message) {
            super(message);
        }
    }

    /**
     * The maximum-likelihood fit.
     *
     * @param coefficients β for each column, then β₀
     * @param covariance the inverse of the observed information I(β) = Xᵀ diag(p(1 − p)) X at β (with the
     *     ones column last): the Wald covariance
     */
    public record Fit(double[] coefficients, double[][] covariance, int iterations) {
        public double standardError(int j) {
            return Math.sqrt(covariance[j][j]);
        }

        /** β_j ± z_{(1+level)/2} · SE(β_j). */
        public double[] waldInterval(int j, double level) {
            double z = dev.align.core.stats.Wilson.z(level);
            return new double[] {coefficients[j] - z * standardError(j), coefficients[j] + z * standardError(j)};
        }
    }

    /**
     * Newton–Raphson for the log-likelihood ℓ(β) = Σᵢ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ), pᵢ = σ(xᵢ·β):
     * β ← β + I(β)⁻¹ Xᵀ(y − p), halving a step that lowers ℓ, until the step is below 1e-10.
     *
     * @param x [n][d] columns (no ones column: the intercept is added)
     * @param y [n] 0 or 1
     * @throws NotEstimableException when the information is singular or ℓ has no finite maximum
     */
    public static Fit newtonRaphson(double[][] x, int[] y) {
        int n = x.length, d = x.length == 0 ? 0 : x[0].length + 1;
        double[][] design = withIntercept(x);
        double[] beta = new double[d];
        double loglik = logLikelihood(design, y, beta);
        for (int iteration = 1; iteration <= MAX_ITERATIONS; iteration++) {
            double[] gradient = new double[d];
            RealMatrix information = information(design, beta);
            for (int i = 0; i < n; i++) {
                double r = y[i] - sigmoid(dot(design[i], beta));
                for (int j = 0; j < d; j++) gradient[j] += r * design[i][j];
            }
            DecompositionSolver solver = solver(information, iteration == 1 ? COLLINEAR : SEPARATED_PAIRS);
            double[] step = solver.solve(new ArrayRealVector(gradient, false)).toArray();
            double scale = 1;
            double[] next = add(beta, step, scale);
            double nextLoglik = logLikelihood(design, y, next);
            while (nextLoglik < loglik - 1e-12 && scale > 1e-6) { // step-halving keeps ℓ rising
                scale /= 2;
                next = add(beta, step, scale);
                nextLoglik = logLikelihood(design, y, next);
            }
            beta = next;
            loglik = nextLoglik;
            if (Arrays.stream(beta).anyMatch(b -> Math.abs(b) > LARGEST_FINITE)) {
                throw new NotEstimableException(SEPARATED_PAIRS);
            }
            double largest = 0;
            for (double s : step) largest = Math.max(largest, Math.abs(s * scale));
            if (largest < 1e-10) {
                RealMatrix covariance = solver(information(design, beta), SEPARATED_PAIRS).getInverse();
                return new Fit(beta, covariance.getData(), iteration);
            }
        }
        throw new NotEstimableException("Newton-Raphson did not converge in " + MAX_ITERATIONS + " iterations");
    }

    /**
     * Tribuo's fit of the same model: {@link LinearSGDTrainer} with {@link LogMulticlass}, full-batch
     * AdaGrad (see {@link #TRIBUO_BUDGET}), seeded. Two-label softmax
     * P(y = 1) = exp(w₁·x) / (exp(w₀·x) + exp(w₁·x)) = σ((w₁ − w₀)·x), so the log-odds coefficients are
     * w₁ − w₀ (Tribuo adds the bias itself).
     *
     * @param names [d] column names
     * @return [d + 1] log-odds coefficients, then the intercept
     */
    public static double[] tribuo(double[][] x, int[] y, List<String> names, long seed) {
        LabelFactory labels = new LabelFactory();
        Label one = new Label("1"), zero = new Label("0");
        List<Example<Label>> examples = new ArrayList<>();
        String[] featureNames = names.toArray(String[]::new);
        for (int i = 0; i < x.length; i++) examples.add(new ArrayExample<>(y[i] == 1 ? one : zero, featureNames, x[i].clone()));
        MutableDataset<Label> data = new MutableDataset<>(
                new ListDataSource<>(examples, labels, new SimpleDataSourceProvenance("pairs", labels)));
        int epochs = (int) Math.max(TRIBUO_MIN_EPOCHS, Math.min(TRIBUO_MAX_EPOCHS, TRIBUO_BUDGET / Math.max(1, x.length)));
        LinearSGDTrainer trainer = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(1.0, 0.1), epochs, -1,
                Math.max(1, x.length), seed);
        LinearSGDModel model = (LinearSGDModel) trainer.train(data);
        DenseMatrix w = model.getWeightsCopy(); // [labels, features + 1], the bias last
        int first = model.getOutputIDInfo().getID(one), second = model.getOutputIDInfo().getID(zero);
        double[] beta = new double[names.size() + 1];
        for (int j = 0; j < names.size(); j++) {
            int id = model.getFeatureIDMap().getID(names.get(j));
            beta[j] = id < 0 ? 0 : w.get(first, id) - w.get(second, id);
        }
        int bias = w.getDimension2Size() - 1;
        beta[names.size()] = w.get(first, bias) - w.get(second, bias);
        return beta;
    }

    /** Exact refits on resampled rows: the coefficients of each resample that could be fitted, and how many could not. */
    public record Bootstrap(List<double[]> coefficients, int failed) {
        /** The percentile interval of coefficient j: its (1 − level)/2 and (1 + level)/2 quantiles. */
        public double[] percentileInterval(int j, double level) {
            double[] values = coefficients.stream().mapToDouble(b -> b[j]).toArray();
            if (values.length == 0) return new double[] {Double.NaN, Double.NaN};
            Percentile p = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
            return new double[] {p.evaluate(values, 100 * (1 - level) / 2), p.evaluate(values, 100 * (1 + level) / 2)};
        }
    }

    /** {@code resamples} nonparametric bootstrap resamples of the rows (with replacement, seeded), each refitted exactly. */
    public static Bootstrap bootstrap(double[][] x, int[] y, int resamples, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<double[]> fits = new ArrayList<>();
        int failed = 0;
        int n = x.length;
        for (int b = 0; b < resamples; b++) {
            double[][] xb = new double[n][];
            int[] yb = new int[n];
            for (int i = 0; i < n; i++) {
                int k = random.nextInt(n);
                xb[i] = x[k];
                yb[i] = y[k];
            }
            try {
                fits.add(newtonRaphson(xb, yb).coefficients());
            } catch (NotEstimableException e) {
                failed++;
            }
        }
        return new Bootstrap(fits, failed);
    }

    // ---- the pieces ----

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    /** log σ(z) without overflow. */
    private static double logSigmoid(double z) {
        return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
    }

    static double logLikelihood(double[][] design, int[] y, double[] beta) {
        double sum = 0;
        for (int i = 0; i < design.length; i++) {
            double z = dot(design[i], beta);
            sum += y[i] == 1 ? logSigmoid(z) : logSigmoid(-z);
        }
        return sum;
    }

    /** I(β) = Xᵀ diag(p(1 − p)) X: [d, d]. */
    private static RealMatrix information(double[][] design, double[] beta) {
        int d = beta.length;
        double[][] h = new double[d][d];
        for (double[] row : design) {
            double p = sigmoid(dot(row, beta)), w = p * (1 - p);
            for (int j = 0; j < d; j++) for (int k = 0; k <= j; k++) h[j][k] += w * row[j] * row[k];
        }
        for (int j = 0; j < d; j++) for (int k = j + 1; k < d; k++) h[j][k] = h[k][j];
        return new Array2DRowRealMatrix(h, false);
    }

    private static final String COLLINEAR = "the information matrix is singular: the features are collinear";
    private static final String SEPARATED_PAIRS = "the likelihood has no finite maximum: the features separate y "
            + "(chosen from rejected) perfectly or almost";

    /** A solver for the information matrix; singular is {@code problem}. */
    private static DecompositionSolver solver(RealMatrix information, String problem) {
        try {
            return new CholeskyDecomposition(information, 1e-12, 1e-12).getSolver();
        } catch (NonPositiveDefiniteMatrixException | NonSquareMatrixException e) {
            throw new NotEstimableException(problem);
        }
    }

    private static double[][] withIntercept(double[][] x) {
        double[][] design = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            design[i] = Arrays.copyOf(x[i], x[i].length + 1);
            design[i][x[i].length] = 1;
        }
        return design;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }

    private static double[] add(double[] a, double[] b, double scale) {
        double[] out = new double[a.length];
        for (int j = 0; j < a.length; j++) out[j] = a[j] + scale * b[j];
        return out;
    }
}
