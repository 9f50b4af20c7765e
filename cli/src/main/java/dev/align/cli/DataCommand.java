package dev.align.cli;

import dev.align.datasets.synth.SycophancyWorld;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align data}: data tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Data tools.",
        subcommands = {DataCommand.Synth.class})
final class DataCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code align data synth}: the synthetic sycophancy world. */
    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write the synthetic sycophancy world: pretrain.txt, sft.jsonl, preferences.jsonl, rankings.jsonl, "
                    + "verifiable.jsonl, sycophancy-eval.jsonl (and held-out preference/ranking files).")
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
}
