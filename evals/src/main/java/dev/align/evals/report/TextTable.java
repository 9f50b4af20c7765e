package dev.align.evals.report;

import java.util.List;

/** A plain-text table with columns padded to their widest cell, for the terminal. */
final class TextTable {
    private TextTable() {}

    static String render(List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        for (int c = 0; c < width.length; c++) width[c] = length(header.get(c));
        for (List<String> row : rows) {
            for (int c = 0; c < width.length; c++) width[c] = Math.max(width[c], length(row.get(c)));
        }
        StringBuilder out = new StringBuilder();
        line(out, header, width);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < width.length; c++) rule.append(c == 0 ? "" : "  ").append("-".repeat(width[c]));
        out.append(rule).append('\n');
        for (List<String> row : rows) line(out, row, width);
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells, int[] width) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            if (c > 0) line.append("  ");
            line.append(cells.get(c)).append(" ".repeat(width[c] - length(cells.get(c))));
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
