package dev.align.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    /** Temporary files are owner-only; what is renamed into place must be readable by others (reports, models). */
    @Test
    void writtenFilesAndDirectoriesGetTheUsualModes() throws Exception {
        Path file = dir.resolve("report.md");
        AtomicFiles.writeString(file, "hello");
        assertEquals("hello", Files.readString(file));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Path model = dir.resolve("model");
        AtomicFiles.writeDirectory(model, tmp -> Files.writeString(tmp.resolve("config.json"), "{}"));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(model)));
        try (var listing = Files.list(dir)) {
            assertFalse(listing.anyMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary left behind");
        }
    }
}
