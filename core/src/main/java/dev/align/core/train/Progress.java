package dev.align.core.train;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Feedback on long work: a progress bar on a terminal, plain log lines elsewhere (CI, pipes). */
public interface Progress extends AutoCloseable {

    void update(long step, double loss, double tokensPerSecond);

    @Override
    void close();

    /** A bar when there is a console, plain lines on {@code err} otherwise. */
    static Progress create(String task, long startStep, long totalSteps, PrintStream err) {
        return System.console() != null ? new Bar(task, startStep, totalSteps) : new Lines(task, startStep, totalSteps, err);
    }

    /** Opens a progress display once the trainer knows where it starts and how far it goes. */
    @FunctionalInterface
    interface Factory {
        Progress open(String task, long startStep, long totalSteps);

        /** A bar on a terminal, lines on stderr otherwise. */
        Factory CONSOLE = (task, start, total) -> create(task, start, total, System.err);
        /** Nothing, for tests. */
        Factory NONE = (task, start, total) -> Progress.SILENT;
    }

    /** Nothing at all, for tests. */
    Progress SILENT = new Progress() {
        @Override
        public void update(long step, double loss, double tokensPerSecond) {}

        @Override
        public void close() {}
    };

    /** A terminal bar with step, loss, tokens/s and ETA. */
    final class Bar implements Progress {
        private final ProgressBar bar;

        Bar(String task, long startStep, long total) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).startsFrom(startStep, java.time.Duration.ZERO)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250).showSpeed().build();
        }

        @Override
        public void update(long step, double loss, double tokensPerSecond) {
            bar.stepTo(step);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f  %.0f tok/s", loss, tokensPerSecond));
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    /** One line per logging step, with an ETA. */
    final class Lines implements Progress {
        private final String task;
        private final long total;
        private final PrintStream out;
        private final long started = System.nanoTime();
        private final long firstStep;

        Lines(String task, long startStep, long total, PrintStream out) {
            this.task = task;
            this.firstStep = startStep;
            this.total = total;
            this.out = out;
        }

        @Override
        public void update(long step, double loss, double tokensPerSecond) {
            double elapsed = (System.nanoTime() - started) / 1e9;
            double eta = elapsed / Math.max(1, step - firstStep) * (total - step);
            out.printf(Locale.ROOT, "%s step %d/%d  loss %.4f  %.0f tok/s  eta %dm%02ds%n", task, step, total, loss,
                    tokensPerSecond, (long) eta / 60, (long) eta % 60);
        }

        @Override
        public void close() {}
    }
}
