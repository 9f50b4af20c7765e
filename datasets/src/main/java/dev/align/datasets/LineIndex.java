package dev.align.datasets;

import dev.align.core.BadInputException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Byte offsets of a text file's non-blank lines, so records are read lazily by index: a 1 GB file
 * costs 12 bytes per line of heap (offset and line number), not 1 GB.
 */
public final class LineIndex implements AutoCloseable {
    private final Path file;
    private final long[] offsets;
    private final int[] lengths;
    private final long[] lineNumbers;
    private final RandomAccessFile reader;

    private LineIndex(Path file, long[] offsets, int[] lengths, long[] lineNumbers) throws IOException {
        this.file = file;
        this.offsets = offsets;
        this.lengths = lengths;
        this.lineNumbers = lineNumbers;
        this.reader = new RandomAccessFile(file.toFile(), "r");
    }

    /** Scans the file once; blank lines are skipped but keep their place in the numbering. */
    public static LineIndex of(Path file) {
        if (!Files.exists(file)) throw BadInputException.in(file, "file not found");
        long[] off = new long[1024];
        int[] len = new int[1024];
        long[] num = new long[1024];
        int n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            long pos = 0, start = 0, line = 1;
            boolean blank = true;
            int b;
            while (true) {
                b = in.read();
                if (b == '\n' || b < 0) {
                    if (!blank) {
                        if (n == off.length) {
                            off = Arrays.copyOf(off, n * 2);
                            len = Arrays.copyOf(len, n * 2);
                            num = Arrays.copyOf(num, n * 2);
                        }
                        off[n] = start;
                        len[n] = (int) (pos - start);
                        num[n] = line;
                        n++;
                    }
                    if (b < 0) break;
                    pos++;
                    start = pos;
                    line++;
                    blank = true;
                } else {
                    pos++;
                    if (b != ' ' && b != '\t' && b != '\r') blank = false;
                }
            }
        } catch (NoSuchFileException e) {
            throw BadInputException.in(file, "file not found");
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
        if (n == 0) throw BadInputException.in(file, "empty file: no records");
        try {
            return new LineIndex(file, Arrays.copyOf(off, n), Arrays.copyOf(len, n), Arrays.copyOf(num, n));
        } catch (IOException e) {
            throw BadInputException.in(file, "cannot read: " + e.getMessage());
        }
    }

    public Path file() {
        return file;
    }

    /** Number of non-blank lines. */
    public int size() {
        return offsets.length;
    }

    /** 1-based line number of record i in the file. */
    public long lineNumber(int i) {
        return lineNumbers[i];
    }

    /** The text of record i. */
    public synchronized String line(int i) {
        byte[] bytes = new byte[lengths[i]];
        try {
            reader.seek(offsets[i]);
            reader.readFully(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new String(bytes, StandardCharsets.UTF_8).strip();
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
