package dev.align.core.train;

import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code samples.jsonl} in an online run's directory: every few steps a handful of completions with their
 * scores and KL, so that a person can read what the policy is learning. One JSON object per line, each with
 * its {@code step} first.
 *
 * <p>A resumed run logs again the steps after its checkpoint: the first {@link #append} of a process drops
 * the lines of that step and later ones, so the file holds each step once, as {@code metrics.jsonl} does.
 */
public final class SampleLog {
    public static final String FILE = "samples.jsonl";

    private final Path file;
    private boolean truncated;

    /** The log in run directory {@code out}. */
    public SampleLog(Path out) {
        this.file = out.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /** Whether step (0-based) is one to log under {@code every} (0: never): steps 0, every, 2·every, ... */
    public static boolean due(long step, int every) {
        return every > 0 && step % every == 0;
    }

    /** Appends rows for optimizer step {@code step} (1-based, as metrics.jsonl counts), each prefixed with it. */
    public synchronized void append(long step, List<Map<String, Object>> rows) {
        try {
            if (!truncated) {
                dropFrom(step);
                truncated = true;
            }
            StringBuilder text = new StringBuilder();
            for (Map<String, Object> row : rows) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", step);
                line.putAll(row);
                text.append(Json.compact(line)).append('\n');
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the lines of steps before {@code step}. */
    private void dropFrom(long step) throws IOException {
        if (!Files.exists(file)) return;
        StringBuilder kept = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            if (Json.MAPPER.readTree(line).path("step").asLong(Long.MAX_VALUE) < step) kept.append(line).append('\n');
        }
        AtomicFiles.writeString(file, kept.toString());
    }
}
