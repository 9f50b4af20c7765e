package dev.align.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG of chosen metrics against step, read from a run's {@code metrics.jsonl}: one panel per metric (e.g.
 * {@code reward}, {@code objective/kl}, {@code eval/accuracy}), two panels a row, so a person can see a run's
 * curves without a notebook. Metrics the file never logged are left out; a metric logged only at some steps
 * (evaluations) is drawn with a marker at each point.
 */
public final class MetricsPlot {
    private static final int PANEL_W = 520, PANEL_H = 300, MARGIN = 56, COLUMNS = 2;
    private static final Color LINE = new Color(0x1f77b4), GRID = new Color(0xe5e5e5), TEXT = new Color(0x222222);

    private MetricsPlot() {}

    /** One metric's points. */
    record Series(String key, double[] steps, double[] values) {}

    /**
     * Writes {@code png} (atomically) from the metrics file; does nothing when none of {@code keys} was logged.
     *
     * @return whether a file was written
     */
    public static boolean write(Path metrics, Path png, String title, List<String> keys) {
        List<Series> series = read(metrics, keys);
        if (series.isEmpty()) return false;
        BufferedImage image = draw(title, series);
        AtomicFiles.write(png, out -> ImageIO.write(image, "png", out));
        return true;
    }

    static List<Series> read(Path metrics, List<String> keys) {
        List<JsonNode> rows = new ArrayList<>();
        try {
            if (!Files.exists(metrics)) return List.of();
            for (String line : Files.readAllLines(metrics)) if (!line.isBlank()) rows.add(Json.MAPPER.readTree(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Series> out = new ArrayList<>();
        for (String key : keys) {
            List<double[]> points = new ArrayList<>();
            for (JsonNode row : rows) {
                JsonNode v = row.get(key);
                if (v != null && v.isNumber() && Double.isFinite(v.asDouble())) points.add(new double[] {row.path("step").asDouble(), v.asDouble()});
            }
            if (points.isEmpty()) continue;
            double[] s = new double[points.size()], y = new double[points.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = points.get(i)[0];
                y[i] = points.get(i)[1];
            }
            out.add(new Series(key, s, y));
        }
        return out;
    }

    static BufferedImage draw(String title, List<Series> series) {
        int rows = (series.size() + COLUMNS - 1) / COLUMNS;
        int top = 40;
        BufferedImage image = new BufferedImage(PANEL_W * COLUMNS, top + PANEL_H * rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setColor(TEXT);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(title, 16, 27);
        for (int i = 0; i < series.size(); i++) {
            panel(g, series.get(i), (i % COLUMNS) * PANEL_W, top + (i / COLUMNS) * PANEL_H);
        }
        g.dispose();
        return image;
    }

    private static void panel(Graphics2D g, Series s, int x0, int y0) {
        int left = x0 + MARGIN + 10, right = x0 + PANEL_W - 20, top = y0 + 30, bottom = y0 + PANEL_H - 40;
        double minX = s.steps()[0], maxX = s.steps()[s.steps().length - 1];
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (double v : s.values()) {
            minY = Math.min(minY, v);
            maxY = Math.max(maxY, v);
        }
        if (maxX == minX) maxX = minX + 1;
        if (maxY - minY < 1e-12) {
            double pad = Math.max(Math.abs(maxY) * 0.05, 1e-3);
            minY -= pad;
            maxY += pad;
        } else {
            double pad = (maxY - minY) * 0.05;
            minY -= pad;
            maxY += pad;
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(TEXT);
        g.drawString(s.key(), x0 + MARGIN + 10, y0 + 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        for (double v : ticks(minY, maxY)) { // horizontal grid and y labels
            int y = (int) Math.round(bottom - (bottom - top) * (v - minY) / (maxY - minY));
            g.setColor(GRID);
            g.drawLine(left, y, right, y);
            g.setColor(TEXT);
            String label = format(v);
            g.drawString(label, left - 6 - fm.stringWidth(label), y + 4);
        }
        for (double v : ticks(minX, maxX)) { // x labels
            int x = (int) Math.round(left + (right - left) * (v - minX) / (maxX - minX));
            String label = format(v);
            g.drawString(label, x - fm.stringWidth(label) / 2, bottom + 16);
        }
        g.drawString("step", (left + right) / 2 - fm.stringWidth("step") / 2, bottom + 32);
        g.setColor(Color.GRAY);
        g.drawRect(left, top, right - left, bottom - top);
        g.setColor(LINE);
        g.setStroke(new BasicStroke(2f));
        Path2D.Double path = new Path2D.Double();
        boolean sparse = s.steps().length <= 30;
        for (int i = 0; i < s.steps().length; i++) {
            double x = left + (right - left) * (s.steps()[i] - minX) / (maxX - minX);
            double y = bottom - (bottom - top) * (s.values()[i] - minY) / (maxY - minY);
            if (i == 0) path.moveTo(x, y);
            else path.lineTo(x, y);
            if (sparse) g.fillOval((int) x - 3, (int) y - 3, 7, 7);
        }
        g.draw(path);
        g.setStroke(new BasicStroke(1f));
    }

    /** Round tick values (1, 2 or 5 times a power of ten apart) inside [min, max], about five of them. */
    static double[] ticks(double min, double max) {
        double raw = (max - min) / 5, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = magnitude * (raw / magnitude < 1.5 ? 1 : raw / magnitude < 3.5 ? 2 : raw / magnitude < 7.5 ? 5 : 10);
        java.util.List<Double> out = new java.util.ArrayList<>();
        for (double v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return Long.toString((long) v);
        double a = Math.abs(v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        if (a >= 0.01) return String.format(Locale.ROOT, "%.3f", v);
        return String.format(Locale.ROOT, "%.1e", v);
    }
}
