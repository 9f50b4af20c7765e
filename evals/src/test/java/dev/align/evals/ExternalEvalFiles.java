package dev.align.evals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The public fixture files ({@code ../shared/external-evals} beside the repository), read in place. */
public final class ExternalEvalFiles {
    private ExternalEvalFiles() {}

    /** The fixtures' directory, found by walking up from the working directory; the test is skipped without it. */
    public static Path dir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("external-evals");
            if (Files.isDirectory(d)) return d;
        }
        Assumptions.abort("shared/external-evals not found above " + Path.of("").toAbsolutePath());
        return null;
    }

    public static Path file(String relative) {
        return dir().resolve(relative);
    }
}
