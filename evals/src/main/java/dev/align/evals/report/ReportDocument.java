package dev.align.evals.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The report's text as blocks (headings, paragraphs, lists, tables, images, collapsible sections), rendered
 * once as Markdown and once as self-contained HTML, so the two files always say the same thing. Text may
 * use {@code `code`} spans.
 */
final class ReportDocument {
    sealed interface Block permits Heading, Paragraph, Bullets, Table, Image, Details {}

    record Heading(int level, String text, String anchor) implements Block {}

    record Paragraph(String text) implements Block {}

    record Bullets(List<String> items) implements Block {}

    /** How a table column shows: text, right-aligned numbers, or preformatted text (prompts, replies). */
    enum Column { TEXT, NUMBER, PREFORMATTED }

    /** A table with a kind per column. */
    record Table(List<String> header, List<List<String>> rows, Column[] columns) implements Block {}

    record Image(String file, String alt) implements Block {}

    /** A section a reader opens on demand (HTML {@code <details>}); in Markdown, a heading and its blocks. */
    record Details(String summary, List<Block> blocks, boolean open) implements Block {}

    private final String title;
    private final List<Block> blocks = new ArrayList<>();

    ReportDocument(String title) {
        this.title = title;
    }

    ReportDocument add(Block block) {
        blocks.add(block);
        return this;
    }

    // ---- Markdown ----------------------------------------------------------------------------------

    String markdown() {
        StringBuilder out = new StringBuilder("# ").append(title).append("\n\n");
        for (Block b : blocks) markdown(b, out, 0);
        return out.toString();
    }

    private static void markdown(Block block, StringBuilder out, int depth) {
        if (block instanceof Heading h) {
            out.append("#".repeat(Math.min(6, h.level() + depth))).append(' ').append(h.text()).append("\n\n");
        } else if (block instanceof Paragraph p) {
            out.append(p.text()).append("\n\n");
        } else if (block instanceof Bullets l) {
            for (String item : l.items()) out.append("- ").append(item).append('\n');
            out.append('\n');
        } else if (block instanceof Table t) {
            out.append(row(t.header()));
            StringBuilder rule = new StringBuilder("|");
            for (int c = 0; c < t.header().size(); c++) rule.append(t.columns()[c] == Column.NUMBER ? " ---: |" : " --- |");
            out.append(rule).append('\n');
            for (List<String> r : t.rows()) out.append(row(r));
            out.append('\n');
        } else if (block instanceof Image i) {
            out.append("![").append(i.alt()).append("](").append(i.file()).append(")\n\n");
        } else if (block instanceof Details d) {
            out.append("#".repeat(Math.min(6, 4 + depth))).append(' ').append(d.summary()).append("\n\n");
            for (Block inner : d.blocks()) markdown(inner, out, depth + 1);
        }
    }

    private static String row(List<String> cells) {
        StringBuilder out = new StringBuilder("|");
        for (String c : cells) out.append(' ').append(c.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")).append(" |");
        return out.append('\n').toString();
    }

    // ---- HTML --------------------------------------------------------------------------------------

    private static final String STYLE = """
            body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #222;
                   max-width: 1200px; margin: 0 auto; padding: 24px 32px 64px; line-height: 1.45; }
            h1 { font-size: 28px; margin: 0 0 8px; }
            h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
            h3 { font-size: 17px; margin: 24px 0 8px; }
            p, li { max-width: 900px; }
            code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; font-size: 0.92em; }
            table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
            th, td { border: 1px solid #ddd; padding: 4px 10px; vertical-align: top; text-align: left; white-space: nowrap; }
            .scroll { overflow-x: auto; max-width: 100%; }
            th { background: #f6f6f6; font-weight: 600; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            tr:nth-child(even) td { background: #fbfbfb; }
            td.text { white-space: normal; }
            td pre { margin: 0; white-space: pre-wrap; min-width: 220px; max-width: 420px; font-size: 12.5px; }
            img { max-width: 100%; border: 1px solid #e4e4e4; margin: 8px 0 16px; }
            details { margin: 6px 0; }
            summary { cursor: pointer; font-weight: 600; padding: 3px 0; }
            .charts img { display: block; width: 960px; max-width: 100%; }
            """;

    /** Self-contained HTML: {@code images} maps an {@link Image}'s file name to its bytes, embedded as data URIs. */
    String html(Map<String, byte[]> images) {
        StringBuilder out = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.append("<title>").append(escape(title)).append("</title>\n<style>\n").append(STYLE).append("</style>\n");
        out.append("</head>\n<body>\n<h1>").append(escape(title)).append("</h1>\n");
        List<Image> run = new ArrayList<>();
        for (Block b : blocks) {
            if (b instanceof Image i) {
                run.add(i);
                continue;
            }
            images(run, images, out);
            html(b, images, out);
        }
        images(run, images, out);
        return out.append("</body>\n</html>\n").toString();
    }

    /** Consecutive images side by side. */
    private static void images(List<Image> run, Map<String, byte[]> images, StringBuilder out) {
        if (run.isEmpty()) return;
        out.append("<div class=\"charts\">\n");
        for (Image i : run) {
            byte[] png = images.get(i.file());
            String src = png == null ? i.file() : "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
            out.append("<a href=\"").append(escape(i.file())).append("\"><img src=\"").append(src).append("\" alt=\"")
                    .append(escape(i.alt())).append("\"></a>\n");
        }
        out.append("</div>\n");
        run.clear();
    }

    private static void html(Block block, Map<String, byte[]> images, StringBuilder out) {
        if (block instanceof Heading h) {
            out.append("<h").append(h.level()).append(h.anchor() == null ? "" : " id=\"" + h.anchor() + "\"")
                    .append('>').append(inline(h.text())).append("</h").append(h.level()).append(">\n");
        } else if (block instanceof Paragraph p) {
            out.append("<p>").append(inline(p.text())).append("</p>\n");
        } else if (block instanceof Bullets l) {
            out.append("<ul>\n");
            for (String item : l.items()) out.append("<li>").append(inline(item)).append("</li>\n");
            out.append("</ul>\n");
        } else if (block instanceof Table t) {
            out.append("<div class=\"scroll\"><table>\n<thead><tr>");
            for (String h : t.header()) out.append("<th>").append(inline(h)).append("</th>");
            out.append("</tr></thead>\n<tbody>\n");
            for (List<String> r : t.rows()) {
                out.append("<tr>");
                for (int c = 0; c < r.size(); c++) {
                    String cell = r.get(c);
                    if (t.columns()[c] == Column.NUMBER) {
                        out.append("<td class=\"num\">").append(inline(cell)).append("</td>");
                    } else if (t.columns()[c] == Column.PREFORMATTED) {
                        out.append("<td class=\"text\"><pre>").append(escape(cell)).append("</pre></td>");
                    } else {
                        out.append("<td>").append(inline(cell)).append("</td>");
                    }
                }
                out.append("</tr>\n");
            }
            out.append("</tbody>\n</table></div>\n");
        } else if (block instanceof Image i) {
            List<Image> one = new ArrayList<>(List.of(i));
            images(one, images, out);
        } else if (block instanceof Details d) {
            out.append("<details").append(d.open() ? " open" : "").append("><summary>").append(inline(d.summary()))
                    .append("</summary>\n");
            for (Block inner : d.blocks()) html(inner, images, out);
            out.append("</details>\n");
        }
    }

    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** Escapes text and turns {@code `code`} spans into {@code <code>}. */
    static String inline(String text) {
        Matcher m = CODE.matcher(text);
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (m.find()) {
            out.append(escape(text.substring(at, m.start()))).append("<code>").append(escape(m.group(1))).append("</code>");
            at = m.end();
        }
        return out.append(escape(text.substring(at))).toString();
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
