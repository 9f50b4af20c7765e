package dev.align.cli;

import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.datasets.synth.SycophancyWorld;
import dev.align.evals.preferences.PreferenceAnalysis;
import dev.align.evals.preferences.PreferenceFeatures;
import dev.align.evals.preferences.SycophancyFeatures;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align data}: data tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Data tools.",
        subcommands = {DataCommand.Synth.class, DataCommand.AnalyzePreferences.class})
final class DataCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code align data synth}: the synthetic sycophancy world. */
    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write the synthetic sycophancy world: pretrain.txt, sft.jsonl, preferences.jsonl, rankings.jsonl, "
                    + "verifiable.jsonl, sycophancy-eval.jsonl, cai-demos.jsonl (constitutional AI demonstrations), and held-out files.")
    static final class Synth implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--seed", defaultValue = "0") long seed;
        @Option(names = "--capitulation-share", defaultValue = "0.3",
                description = "Share of pushback dialogues in sft.jsonl whose assistant capitulates (default: ${DEFAULT-VALUE}).")
        double capitulationShare;
        @Option(names = "--rater-agreement-bias", defaultValue = "0.7",
                description = "Under pushback, probability the simulated rater prefers the agreeing reply (default: ${DEFAULT-VALUE}).")
        double agreementBias;
        @Option(names = "--rater-accuracy", defaultValue = "0.95",
                description = "On plain questions, probability the rater prefers the correct answer (default: ${DEFAULT-VALUE}).")
        double raterAccuracy;
        @Option(names = "--eval-fraction", defaultValue = "0.15") double evalFraction;
        @Option(names = "--overwrite") boolean overwrite;

        @Override
        public Integer call() throws Exception {
            for (double p : new double[] {capitulationShare, agreementBias, raterAccuracy, evalFraction}) {
                if (p < 0 || p > 1) throw new IllegalArgumentException("probabilities and fractions must be in [0, 1], got " + p);
            }
            if (agreementBias <= 0 || agreementBias >= 1) {
                throw new IllegalArgumentException("--rater-agreement-bias must be strictly between 0 and 1");
            }
            InitCommand.refuseNonEmpty(out, overwrite);
            var world = new SycophancyWorld(new SycophancyWorld.Config(seed, capitulationShare, agreementBias, raterAccuracy,
                    evalFraction, 4));
            var summary = world.write(out);
            spec.commandLine().getOut().println("wrote " + out + ": " + summary.counts());
            return 0;
        }
    }

    /** {@code align data analyze-preferences}: what raters reward, as a logistic regression on feature differences. */
    @Command(name = "analyze-preferences", mixinStandardHelpOptions = true,
            description = "Fit a logistic regression predicting the chosen response of each pair from differences of "
                    + "interpretable features (agrees_with_user, correct, apologises, hedges, length; or --features CLASS), "
                    + "as Sharma et al. analysed hh-rlhf; print each coefficient (log-odds) with 95%% intervals.")
    static final class AnalyzePreferences implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--data", required = true, description = "Preference rows: prompt, chosen, rejected, and the "
                + "columns the features read (answer, verifier, user_answer or disputed_answer for the built-in ones).")
        Path data;
        @Option(names = "--features", description = "A class implementing dev.align.evals.preferences.PreferenceFeatures "
                + "(default: the built-in agrees_with_user, correct, apologises, hedges, length).")
        String features;
        @Option(names = "--seed", defaultValue = "1", description = "Seeds the pairs' order, Tribuo and the bootstrap (default: ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--resamples", defaultValue = "200", description = "Bootstrap resamples of pairs; 0 for Wald intervals only (default: ${DEFAULT-VALUE}).")
        int resamples;
        @Option(names = "--out", description = "Also write the analysis as JSON to this file.") Path out;

        @Override
        public Integer call() {
            if (resamples < 0) throw new IllegalArgumentException("--resamples must be 0 or more, got " + resamples);
            PreferenceFeatures f = features == null ? new SycophancyFeatures() : PreferenceFeatures.load(features);
            PreferenceAnalysis.Result result = PreferenceAnalysis.analyze(data, f, new PreferenceAnalysis.Settings(seed, resamples));
            java.io.PrintWriter terminal = spec.commandLine().getOut();
            terminal.print(result.table());
            if (out != null) {
                AtomicFiles.writeString(out, Json.pretty(result.json()));
                terminal.println("wrote " + out);
            }
            terminal.flush();
            return 0;
        }
    }
}
