package dev.align.core.config;

import dev.align.core.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Checks on a run's output directory that must pass before anything is read, trained or written. */
public final class RunDirectory {
    private RunDirectory() {}

    /**
     * Refuses an output directory that overlaps an input: equal to it, inside it (training into the
     * model directory), or holding it (a run's checkpoints and files would replace it). Symbolic links
     * are followed, so two names of one directory count as one.
     *
     * @param out the output directory (need not exist)
     * @param inputs each input path by the flag that named it ({@code --model}, {@code --data}, ...); null
     *     values are skipped
     */
    public static void checkApart(Path out, Map<String, Path> inputs) {
        if (Files.exists(out) && !Files.isDirectory(out)) throw BadInputException.in(out, "--out exists and is not a directory");
        Path o = real(out);
        for (Map.Entry<String, Path> e : inputs.entrySet()) {
            if (e.getValue() == null) continue;
            Path in = real(e.getValue());
            if (o.equals(in)) {
                throw BadInputException.in(out, "--out is the " + e.getKey() + " input; choose another output directory");
            }
            if (o.startsWith(in)) {
                throw BadInputException.in(out, "--out is inside the " + e.getKey() + " input " + e.getValue()
                        + "; choose an output directory outside it");
            }
            if (in.startsWith(o)) {
                throw BadInputException.in(out, "--out holds the " + e.getKey() + " input " + e.getValue()
                        + ", which the run could overwrite; choose another output directory");
            }
        }
    }

    /** The real path of an existing path, or of its nearest existing ancestor with the rest appended. */
    static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs));
        } catch (IOException e) {
            return abs;
        }
    }
}
