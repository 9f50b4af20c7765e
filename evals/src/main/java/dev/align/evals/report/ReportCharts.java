package dev.align.evals.report;

import dev.align.evals.report.SycophancyReport.Rate;
import dev.align.evals.report.SycophancyReport.Slice;
import dev.align.core.stats.Proportion;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The report's two charts, drawn with Java2D (headless): the capitulation rate per model and protocol
 * with its interval, and capitulation against accuracy without pushback, one point per model.
 */
final class ReportCharts {
    static final int WIDTH = 960;
    static final int HEIGHT = 560;

    private static final Color[] MODEL_COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    private static final Map<String, Color> PROTOCOL_COLOURS = Map.of("protocol=own", new Color(0x1f77b4),
            "protocol=scripted", new Color(0xff7f0e));
    private static final Color GRID = new Color(0xe4e4e4);
    private static final Color INK = new Color(0x222222);
    private static final Color MUTED = new Color(0x666666);
    private static final int LEFT = 86;
    private static final int RIGHT = 36;
    private static final int TOP = 100;
    private static final int BOTTOM = 96;

    private ReportCharts() {}

    /** One model's capitulation on one data set under one protocol. */
    record Bar(String model, String dataset, String condition, Proportion rate) {}

    /** One model on one data set: accuracy without pushback (x) against capitulation (y). */
    record Point(String model, String dataset, Proportion accuracy, String accuracySource, Proportion capitulation,
            String capitulationSource) {}

    static List<Bar> capitulationBars(SycophancyReport report) {
        List<Bar> bars = new ArrayList<>();
        for (Rate r : report.rates()) {
            if (r.slice().kind().equals("are_you_sure") && r.metric().equals("capitulated")) {
                bars.add(new Bar(r.model(), r.slice().dataset(), r.slice().condition(), r.rate()));
            }
        }
        return bars;
    }

    /**
     * x: accuracy without pushback, from {@code plain} items ({@code correct}), else the paper protocol's
     * first answers ({@code first_correct}), else {@code answer} items with no suggestion; y: capitulation
     * under the paper's protocol ({@code own}), else {@code scripted}, else unsplit.
     */
    static List<Point> capitulationPoints(SycophancyReport report) {
        List<Point> points = new ArrayList<>();
        for (String dataset : report.datasets()) {
            for (String model : report.models()) {
                Optional<Map.Entry<String, Proportion>> y = first(report, model,
                        new Slice(dataset, "are_you_sure", "protocol=own"), "capitulated", "own first answer",
                        new Slice(dataset, "are_you_sure", "protocol=scripted"), "capitulated", "scripted first answer",
                        new Slice(dataset, "are_you_sure", Vocabulary.ALL), "capitulated", "are_you_sure");
                Optional<Map.Entry<String, Proportion>> x = first(report, model,
                        new Slice(dataset, "plain", Vocabulary.ALL), "correct", "plain questions",
                        new Slice(dataset, "are_you_sure", "protocol=own"), "first_correct", "first answers",
                        new Slice(dataset, "answer", "suggestion=none"), "correct", "answer, no suggestion");
                if (x.isPresent() && y.isPresent() && x.get().getValue().n() > 0 && y.get().getValue().n() > 0) {
                    points.add(new Point(model, dataset, x.get().getValue(), x.get().getKey(), y.get().getValue(),
                            y.get().getKey()));
                }
            }
        }
        return points;
    }

    /** The first of (slice, metric, description) triples the model has a rate for, with its description. */
    private static Optional<Map.Entry<String, Proportion>> first(SycophancyReport report, String model, Object... choices) {
        for (int i = 0; i < choices.length; i += 3) {
            Optional<Proportion> p = report.rate(model, (Slice) choices[i], (String) choices[i + 1]);
            if (p.isPresent()) return Optional.of(Map.entry((String) choices[i + 2], p.get()));
        }
        return Optional.empty();
    }

    static BufferedImage capitulation(SycophancyReport report) {
        List<Bar> bars = capitulationBars(report);
        Canvas c = new Canvas();
        String level = SycophancyReport.formatLevel(report.settings().level());
        c.title("Capitulation rate on are_you_sure",
                "of correct first answers, the share switched to a wrong answer after pushback; whiskers: "
                        + level + "% Wilson intervals; lower is better");
        if (bars.isEmpty()) {
            c.empty("no are_you_sure items with a capitulation outcome");
            return c.image;
        }
        List<String> conditions = bars.stream().map(Bar::condition).distinct()
                .sorted(Vocabulary.order(List.of("protocol=own", "protocol=scripted"))).toList();
        Map<String, List<Bar>> groups = new LinkedHashMap<>(); // model (· dataset) → its bars
        boolean manyDatasets = bars.stream().map(Bar::dataset).distinct().count() > 1;
        for (String dataset : report.datasets()) {
            for (String model : report.models()) {
                for (Bar b : bars) {
                    if (b.model().equals(model) && b.dataset().equals(dataset)) {
                        groups.computeIfAbsent(model + "\u0000" + dataset, k -> new ArrayList<>()).add(b);
                    }
                }
            }
        }
        double top = niceTop(bars.stream().mapToDouble(b -> upper(b.rate())).max().orElse(1));
        c.yAxis(0, top, "capitulation rate");
        int plotW = WIDTH - LEFT - RIGHT;
        double groupW = plotW / (double) groups.size();
        double barW = Math.min(70, groupW * 0.7 / conditions.size());
        int g = 0;
        for (Map.Entry<String, List<Bar>> group : groups.entrySet()) {
            double centre = LEFT + groupW * (g + 0.5);
            double start = centre - barW * conditions.size() / 2;
            for (Bar b : group.getValue()) {
                int slot = conditions.indexOf(b.condition());
                double x0 = start + slot * barW + 3;
                double w = barW - 6;
                double y0 = c.y(b.rate().rate());
                c.g.setColor(PROTOCOL_COLOURS.getOrDefault(b.condition(), new Color(0x7f7f7f)));
                // a rate of 0 still shows as a sliver in its colour, so the bar does not look missing
                double h = Math.max(3, c.y(0) - y0);
                c.g.fill(new Rectangle2D.Double(x0, c.y(0) - h, w, h));
                double mid = x0 + w / 2;
                c.whisker(mid, c.y(b.rate().interval().lower()), mid, c.y(b.rate().interval().upper()), true, INK);
                c.g.setFont(c.font(Font.PLAIN, 13));
                c.g.setColor(INK);
                c.centred(fmt(b.rate().rate()), mid, c.y(b.rate().interval().upper()) - 6);
                c.g.setFont(c.font(Font.PLAIN, 11));
                c.g.setColor(MUTED);
                c.centred("n=" + b.rate().n(), mid, c.y(0) + 15);
            }
            Bar any = group.getValue().get(0);
            c.g.setFont(c.font(Font.BOLD, 15));
            c.g.setColor(INK);
            c.centred(any.model(), centre, c.y(0) + 36);
            if (manyDatasets) {
                c.g.setFont(c.font(Font.PLAIN, 12));
                c.g.setColor(MUTED);
                c.centred(any.dataset(), centre, c.y(0) + 53);
            }
            g++;
        }
        List<String> labels = conditions.stream().map(ReportCharts::protocolLabel).toList();
        List<Color> colours = conditions.stream()
                .map(k -> PROTOCOL_COLOURS.getOrDefault(k, new Color(0x7f7f7f))).toList();
        c.legend(labels, colours);
        return c.image;
    }

    private static String protocolLabel(String condition) {
        return switch (condition) {
            case "protocol=own" -> "own first answer (paper's protocol)";
            case "protocol=scripted" -> "scripted correct first answer";
            case "protocol=control" -> "control: a neutral turn, no pushback";
            default -> condition;
        };
    }

    static BufferedImage capitulationVsAccuracy(SycophancyReport report) {
        List<Point> points = capitulationPoints(report);
        Canvas c = new Canvas();
        String level = SycophancyReport.formatLevel(report.settings().level());
        c.title("Capitulation against accuracy without pushback",
                "each point: model (accuracy, capitulation); whiskers: " + level
                        + "% Wilson intervals on both axes; lower right is better");
        if (points.isEmpty()) {
            c.empty("needs are_you_sure capitulation and an accuracy without pushback for a model");
            return c.image;
        }
        double xLo = Math.floor(points.stream().mapToDouble(p -> p.accuracy().interval().lower()).min().orElse(0) * 10) / 10;
        double xHi = Math.ceil(points.stream().mapToDouble(p -> p.accuracy().interval().upper()).max().orElse(1) * 10) / 10;
        double yHi = niceTop(points.stream().mapToDouble(p -> upper(p.capitulation())).max().orElse(1));
        if (xHi - xLo < 0.2) xLo = Math.max(0, xHi - 0.2);
        if (xHi - xLo < 0.2) xHi = Math.min(1, xLo + 0.2);
        String xSource = String.join("; ", points.stream().map(Point::accuracySource).distinct().toList());
        String ySource = String.join("; ", points.stream().map(Point::capitulationSource).distinct().toList());
        c.yAxis(0, yHi, "capitulation rate, are_you_sure (" + ySource + ")");
        c.xAxis(xLo, xHi, "accuracy without pushback (" + xSource + ")");
        boolean manyDatasets = points.stream().map(Point::dataset).distinct().count() > 1;
        List<Rectangle2D> taken = new ArrayList<>();
        for (Point p : points) {
            double px = c.x(p.accuracy().rate());
            double py = c.y(p.capitulation().rate());
            taken.add(new Rectangle2D.Double(px - 8, py - 8, 16, 16));
            double xl = c.x(p.accuracy().interval().lower());
            double xu = c.x(p.accuracy().interval().upper());
            double yl = c.y(p.capitulation().interval().lower());
            double yu = c.y(p.capitulation().interval().upper());
            taken.add(new Rectangle2D.Double(xl, py - 2, xu - xl, 4));
            taken.add(new Rectangle2D.Double(px - 2, yu, 4, yl - yu));
        }
        for (Point p : points) {
            Color colour = MODEL_COLOURS[report.models().indexOf(p.model()) % MODEL_COLOURS.length];
            double px = c.x(p.accuracy().rate());
            double py = c.y(p.capitulation().rate());
            c.whisker(c.x(p.accuracy().interval().lower()), py, c.x(p.accuracy().interval().upper()), py, false, colour);
            c.whisker(px, c.y(p.capitulation().interval().lower()), px, c.y(p.capitulation().interval().upper()), true,
                    colour);
            Shape marker = marker(report.datasets().indexOf(p.dataset()), px, py);
            c.g.setColor(colour);
            c.g.fill(marker);
            c.g.setColor(Color.WHITE);
            c.g.setStroke(new BasicStroke(1.5f));
            c.g.draw(marker);
        }
        if (manyDatasets) {
            // a key to the markers: one shape per data set
            c.g.setFont(c.font(Font.PLAIN, 13));
            float x = LEFT - 60;
            for (String dataset : points.stream().map(Point::dataset).distinct().toList()) {
                Shape m = marker(report.datasets().indexOf(dataset), x + 6, 72);
                c.g.setColor(MUTED);
                c.g.fill(m);
                c.g.setColor(INK);
                c.g.drawString(dataset, x + 18, 77);
                x += 18 + c.g.getFontMetrics().stringWidth(dataset) + 28;
            }
        }
        for (Point p : points) {
            Color colour = MODEL_COLOURS[report.models().indexOf(p.model()) % MODEL_COLOURS.length];
            String label = p.model() + (manyDatasets ? " · " + p.dataset() : "")
                    + String.format(Locale.ROOT, " (%s, %s)", fmt(p.accuracy().rate()), fmt(p.capitulation().rate()));
            c.g.setFont(c.font(Font.BOLD, 14));
            c.label(label, c.x(p.accuracy().rate()), c.y(p.capitulation().rate()), colour, taken);
        }
        return c.image;
    }

    /** A data set's marker: circle, square, diamond, triangle, then round again. */
    private static Shape marker(int dataset, double x, double y) {
        return switch (Math.floorMod(dataset, 4)) {
            case 0 -> new Ellipse2D.Double(x - 6, y - 6, 12, 12);
            case 1 -> new Rectangle2D.Double(x - 5.5, y - 5.5, 11, 11);
            case 2 -> polygon(new double[] {x, x + 7, x, x - 7}, new double[] {y - 7, y, y + 7, y});
            default -> polygon(new double[] {x, x + 7, x - 7}, new double[] {y - 7, y + 5, y + 5});
        };
    }

    private static Shape polygon(double[] xs, double[] ys) {
        Path2D.Double path = new Path2D.Double();
        path.moveTo(xs[0], ys[0]);
        for (int i = 1; i < xs.length; i++) path.lineTo(xs[i], ys[i]);
        path.closePath();
        return path;
    }

    private static double upper(Proportion p) {
        return p.interval().isDefined() ? p.interval().upper() : 0;
    }

    /** The y axis' top: the largest value rounded up to a tenth, at least 0.1, at most 1. */
    static double niceTop(double max) {
        return Math.min(1, Math.max(0.1, Math.ceil(max * 10 - 1e-9) / 10));
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }

    /** A white image with a plot area and the drawing primitives both charts use. */
    private static final class Canvas {
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        double xLo = 0;
        double xHi = 1;
        double yLo = 0;
        double yHi = 1;

        Canvas() {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
        }

        Font font(int style, int size) {
            return new Font(Font.SANS_SERIF, style, size);
        }

        double x(double v) {
            return LEFT + (v - xLo) / (xHi - xLo) * (WIDTH - LEFT - RIGHT);
        }

        double y(double v) {
            return TOP + (yHi - v) / (yHi - yLo) * (HEIGHT - TOP - BOTTOM);
        }

        void title(String title, String subtitle) {
            g.setColor(INK);
            g.setFont(font(Font.BOLD, 20));
            g.drawString(title, LEFT - 60, 32);
            g.setFont(font(Font.PLAIN, 13));
            g.setColor(MUTED);
            g.drawString(subtitle, LEFT - 60, 54);
        }

        void empty(String why) {
            g.setFont(font(Font.ITALIC, 16));
            g.setColor(MUTED);
            centred(why, WIDTH / 2.0, HEIGHT / 2.0);
        }

        /** Grid lines and labels every tenth (every fifth of a tenth when the range is small). */
        void yAxis(double lo, double hi, String label) {
            yLo = lo;
            yHi = hi;
            double step = hi - lo <= 0.3 ? 0.05 : 0.1;
            g.setFont(font(Font.PLAIN, 12));
            for (double v = lo; v <= hi + 1e-9; v += step) {
                g.setColor(GRID);
                g.setStroke(new BasicStroke(1));
                g.draw(new Line2D.Double(LEFT, y(v), WIDTH - RIGHT, y(v)));
                g.setColor(MUTED);
                String t = fmt(v);
                g.drawString(t, LEFT - 8 - g.getFontMetrics().stringWidth(t), (float) (y(v) + 4));
            }
            g.setColor(INK);
            g.draw(new Line2D.Double(LEFT, y(lo), WIDTH - RIGHT, y(lo)));
            Graphics2D r = (Graphics2D) g.create();
            r.setFont(font(Font.PLAIN, 13));
            r.setColor(INK);
            r.rotate(-Math.PI / 2);
            FontMetrics fm = r.getFontMetrics();
            double mid = (y(lo) + y(hi)) / 2;
            r.drawString(label, (float) (-mid - fm.stringWidth(label) / 2.0), 22f);
            r.dispose();
        }

        void xAxis(double lo, double hi, String label) {
            xLo = lo;
            xHi = hi;
            double step = hi - lo <= 0.3 ? 0.05 : 0.1;
            g.setFont(font(Font.PLAIN, 12));
            for (double v = lo; v <= hi + 1e-9; v += step) {
                g.setColor(GRID);
                g.setStroke(new BasicStroke(1));
                g.draw(new Line2D.Double(x(v), y(yLo), x(v), y(yHi)));
                g.setColor(MUTED);
                centred(fmt(v), x(v), y(yLo) + 18);
            }
            g.setColor(INK);
            g.draw(new Line2D.Double(x(lo), y(yLo), x(lo), y(yHi)));
            g.setFont(font(Font.PLAIN, 13));
            centred(label, (x(lo) + x(hi)) / 2, y(yLo) + 44);
        }

        /** An interval's line with end caps across it. */
        void whisker(double x0, double y0, double x1, double y1, boolean vertical, Color colour) {
            g.setStroke(new BasicStroke(1.8f));
            g.setColor(colour);
            g.draw(new Line2D.Double(x0, y0, x1, y1));
            if (vertical) {
                g.draw(new Line2D.Double(x0 - 6, y0, x0 + 6, y0));
                g.draw(new Line2D.Double(x1 - 6, y1, x1 + 6, y1));
            } else {
                g.draw(new Line2D.Double(x0, y0 - 6, x0, y0 + 6));
                g.draw(new Line2D.Double(x1, y1 - 6, x1, y1 + 6));
            }
        }

        void centred(String text, double cx, double baseline) {
            g.drawString(text, (float) (cx - g.getFontMetrics().stringWidth(text) / 2.0), (float) baseline);
        }

        /** A one-line legend under the subtitle, swatches and labels left to right. */
        void legend(List<String> labels, List<Color> colours) {
            g.setFont(font(Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            float x = LEFT - 60;
            for (int i = 0; i < labels.size(); i++) {
                g.setColor(colours.get(i));
                g.fillRect((int) x, 66, 14, 12);
                g.setColor(INK);
                g.drawString(labels.get(i), x + 20, 77);
                x += 20 + fm.stringWidth(labels.get(i)) + 28;
            }
        }

        /** A point's label beside it, at the first of eight places that overlaps nothing drawn so far. */
        void label(String text, double px, double py, Color colour, List<Rectangle2D> taken) {
            FontMetrics fm = g.getFontMetrics();
            double w = fm.stringWidth(text);
            double h = fm.getAscent();
            double[][] offsets = {{12, -10}, {12, h + 8}, {-12 - w, -10}, {-12 - w, h + 8},
                    {-w / 2, -16}, {-w / 2, h + 16}, {12, -30}, {-12 - w, -30}};
            Rectangle plot = new Rectangle(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
            Rectangle2D chosen = null;
            for (double[] o : offsets) {
                Rectangle2D box = new Rectangle2D.Double(px + o[0], py + o[1] - h, w, h + 3);
                if (!plot.contains(box)) continue;
                if (taken.stream().noneMatch(box::intersects)) {
                    chosen = box;
                    break;
                }
                if (chosen == null) chosen = box;
            }
            if (chosen == null) chosen = new Rectangle2D.Double(px + 12, py - 10 - h, w, h + 3);
            taken.add(chosen);
            g.setColor(new Color(255, 255, 255, 210));
            g.fill(chosen);
            g.setColor(colour.darker());
            g.drawString(text, (float) chosen.getX(), (float) (chosen.getY() + h));
        }
    }
}
