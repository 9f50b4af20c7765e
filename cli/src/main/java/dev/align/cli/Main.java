package dev.align.cli;

import dev.align.core.BadInputException;
import dev.align.core.OfflineDjl;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align}: aligning and post-training language models from one command. */
@Command(name = "align", mixinStandardHelpOptions = true, version = "align 0.1.0",
        description = "Align and post-train language models on the JVM.",
        subcommands = {InitCommand.class, GenerateCommand.class, LogprobsCommand.class, BenchCommand.class, DataCommand.class, SftCommand.Pretrain.class, SftCommand.Sft.class,
                RewardModelCommand.class, RewardCommand.class, DpoCommand.class, PpoCommand.class, EvalCommand.class,
                VerifyCommand.class, ServeCommand.class,
                RlvrCommand.class, CaiCommand.class, CommandLine.HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer> {
    /** Exit code for bad input: a file, a line, a field. */
    public static final int BAD_INPUT = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code align} with no command: the usage, and bad input's exit code. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return BAD_INPUT;
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        OfflineDjl.forceOffline(); // before anything can touch DJL's engine or tokenizers
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        addFlags(cli);
        cli.setOverwrittenOptionsAllowed(true); // --max-steps 1 --max-steps 5: the last one wins
        cli.setParameterExceptionHandler((e, arguments) -> {
            if (debug) e.printStackTrace(err);
            CommandLine c = e.getCommandLine();
            err.println("error: " + oneLine(e.getMessage()));
            String name = c.getCommandSpec().qualifiedName(" ");
            err.println("(see '" + name + " --help')");
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (debug) {
                e.printStackTrace(err);
            }
            if (e instanceof BadInputException || e instanceof IllegalArgumentException) {
                err.println("error: " + oneLine(e.getMessage()));
                return BAD_INPUT;
            }
            if (e instanceof UncheckedIOException) {
                err.println("error: " + oneLine(e.getMessage()));
                return 1;
            }
            if (!debug) {
                err.println("error: " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage())
                        + " (run with --debug for details)");
            }
            return 1;
        });
        return cli.execute(args);
    }

    /** Generated flags for every configured command, nested ones ({@code cai sl}) included. */
    private static void addFlags(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            ConfiguredCommand.addFlags(sub);
            addFlags(sub);
        }
    }

    private static String oneLine(String message) {
        if (message == null) return "unknown error";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
