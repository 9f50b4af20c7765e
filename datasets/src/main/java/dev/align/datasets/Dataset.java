package dev.align.datasets;

import dev.align.core.BadInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL (or .txt) file of one {@link Format}, validated in one streaming pass and then read lazily
 * by index; the trainer shuffles indices per epoch with {@code EpochOrder}. Bad lines stop the run with a one-line error, or, with {@code skipBadLines}, are counted
 * and left out.
 */
public final class Dataset implements AutoCloseable {
    private final LineIndex index;
    private final Format format;
    private final int[] good; // record number → index line
    private final List<String> skipped;

    private Dataset(LineIndex index, Format format, int[] good, List<String> skipped) {
        this.index = index;
        this.format = format;
        this.good = good;
        this.skipped = skipped;
    }

    public static Dataset open(Path file, Format format, boolean skipBadLines) {
        LineIndex index = LineIndex.of(file);
        List<String> skipped = new ArrayList<>();
        int[] good = new int[index.size()];
        int n = 0;
        try {
            for (int i = 0; i < index.size(); i++) {
                try {
                    format.parse(index.line(i), file, index.lineNumber(i));
                    good[n++] = i;
                } catch (BadInputException e) {
                    if (!skipBadLines) throw e;
                    skipped.add(e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
        if (n == 0) {
            index.close();
            throw BadInputException.in(file, "no valid records (" + skipped.size() + " bad lines skipped; first: "
                    + (skipped.isEmpty() ? "none" : skipped.get(0)) + ")");
        }
        return new Dataset(index, format, java.util.Arrays.copyOf(good, n), skipped);
    }

    public Path file() {
        return index.file();
    }

    public Format format() {
        return format;
    }

    public int size() {
        return good.length;
    }

    /** The i-th valid record. */
    public Example get(int i) {
        int line = good[i];
        return format.parse(index.line(line), index.file(), index.lineNumber(line));
    }

    /** The raw text of the i-th valid record, e.g. to read columns beyond the format's own. */
    public String line(int i) {
        return index.line(good[i]);
    }

    /** 1-based file line of the i-th valid record. */
    public long lineNumber(int i) {
        return index.lineNumber(good[i]);
    }

    /** Messages of the lines left out with {@code skipBadLines}. */
    public List<String> skippedLines() {
        return skipped;
    }

    @Override
    public void close() {
        index.close();
    }
}
