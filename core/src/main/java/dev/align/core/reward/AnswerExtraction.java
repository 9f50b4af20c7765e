package dev.align.core.reward;

import java.math.BigDecimal;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a reply's FINAL, committed answer: a number, an option letter, the final words, or a
 * pattern's last match. The rules, shared by every kind:
 *
 * <ol>
 *   <li><b>Markers first.</b> The last final-answer marker decides: {@code \boxed{X}}, GSM8K's
 *       {@code #### X}, {@code Answer: X}, {@code the (final|correct) answer is X}, and
 *       self-corrections ({@code Actually, it's X}, {@code I mean X}). The answer is the first one
 *       after the marker; an explanation after it ("because 3 + 4 = 7") is not an answer. Without a
 *       marker the last answer in the reply counts.
 *   <li><b>Denials are not answers.</b> A candidate after {@code not}, {@code no}, {@code never},
 *       {@code n't} or {@code ≠} in its clause, or followed by {@code is wrong}/{@code is not}, is
 *       skipped: "3 + 4 = 8, not 7" answers 8, and "It is not 7" answers nothing.
 *   <li><b>Hedges are not answers.</b> A candidate joined to a different one by {@code or}/{@code
 *       and} ("maybe 7, or 8", "A or B") answers nothing: paying a hedge would reward listing options.
 *   <li><b>Retractions cancel.</b> "that's wrong", "just kidding", "scratch that", "no wait", "I take
 *       it back" after the answer cancel it. Uncertainty ("I'm not sure, but it's 7") does not: the
 *       verifier grades the answer, not the confidence.
 *   <li><b>Operands are not answers.</b> Numbers next to an operator ({@code + - × * / ÷ ^ < > =} or
 *       plus, minus, times) are part of an expression; the result after {@code =} is the answer.
 * </ol>
 *
 * Markdown emphasis, backticks and {@code $} are ignored; spans index the original reply.
 */
public final class AnswerExtraction {
    private AnswerExtraction() {}

    /** An answer found in a reply: the answer (a number in plain digits, a letter in upper case) and where it is. */
    public record Span(String text, int start, int end) {}

    /** A number: optional sign, thousands separators, decimals, a simple fraction a/b. */
    static final Pattern NUMBER = Pattern.compile("(?<![\\w.])(-?)(\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+)(\\.\\d+)?(?:/(\\d+))?(?!\\w)");

    private static final Pattern MARKER = Pattern.compile("(?i)\\\\boxed\\s*\\{|(?m)^[ \\t]*####[ \\t]*"
            + "|\\b(?:the\\s+)?(?:final\\s+|correct\\s+|right\\s+)?answer\\s*(?:is|would\\s+be|will\\s+be|:|=)\\s*:?"
            + "|\\b(?:actually|wait|no|sorry|oops|correction)\\s*[,:!]?\\s+it(?:'s|’s|\\s+is|\\s+should\\s+be|\\s+must\\s+be)\\b"
            + "|\\bI\\s+mean\\b|\\bor\\s+rather\\b");

    private static final Pattern RETRACTION = Pattern.compile("(?i)\\b(?:(?:that|this|it)(?:'s|’s|\\s+is|\\s+was)\\s+"
            + "(?:wrong|incorrect|not\\s+(?:right|correct|it))|just\\s+kidding|scratch\\s+that|ignore\\s+(?:that|this|the\\s+above|my\\s+answer)"
            + "|never\\s*mind|I\\s+take\\s+(?:that|it)\\s+back|I\\s+was\\s+wrong|no,?\\s+wait)\\b");

    private static final Pattern NEGATOR = Pattern.compile("(?i)(?:\\b(?:not|no|never|neither|nor)\\b|n['’]t\\b|≠|!=)");
    private static final Pattern DENIED_AFTER = Pattern.compile(
            "(?i)^\\s*(?:(?:is|was|would\\s+be|are)\\s+(?:wrong|incorrect|false|not)\\b|(?:isn|wasn|aren)['’]t\\b)");
    private static final Pattern CLAUSE_BREAK = Pattern.compile("(?i)[,;:.!?\\n]|\\b(?:but|however|though|although)\\b");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?](?=\\s|$)|\\n");
    private static final Pattern HEDGE = Pattern.compile("(?i)^[\\s,]*(?:(?:either|maybe|perhaps|possibly|probably|or|and|nor|/)[\\s,]*)+$");
    private static final Pattern HEDGE_WORD = Pattern.compile("(?i)\\b(?:or|and|nor)\\b|/");
    private static final Pattern OPERATOR_AFTER = Pattern.compile("(?i)^[ \\t]*(?:[-+−×*/÷^<>=≤≥]|(?:plus|minus|times|x|divided|multiplied)\\b)");
    private static final Pattern OPERATOR_BEFORE = Pattern.compile("(?i)(?:[-+−×*/÷^<>≤≥]|\\b(?:plus|minus|times|x|divided\\s+by|multiplied\\s+by))[ \\t]*$");
    private static final Pattern CHOICE = Pattern.compile("\\(([A-Za-z])\\)|\\[([A-Za-z])]|(?<![\\w.'’])([A-Z])(?![\\w'’]|\\.\\w)");
    private static final Pattern STRONG_AFTER = Pattern.compile(
            "(?i)^(?:\\s*[).:,;!?]|\\s*$|\\s*,?\\s*(?:or|and|/)\\s*\\(?(?-i:[A-Z])(?!\\w)|\\s+is\\s+(?:correct|right|the\\s+(?:correct\\s+|right\\s+|best\\s+)?answer))");
    private static final Pattern OPTION_BEFORE = Pattern.compile(
            "(?i)\\b(?:option|choice|letter|choose|pick)\\s*:?\\s*$|(?-i:(?<![\\w.])\\(?[A-Z]\\)?)\\s*,?\\s*(?:or|and|/)\\s*$");
    private static final Pattern FIRST_LETTER = Pattern.compile("^\\s*\\(?([A-Za-z])\\)?(?!\\w)");
    private static final Pattern EXACT_CLAUSE_END = Pattern.compile(
            "(?i)[,;](?=\\s)|\\s(?:because|since|as|which|so|given|due)\\b|\\s[-–—]\\s|[.!?](?=\\s|$)|\\n");
    private static final Pattern CONTRAST_TAIL = Pattern.compile(
            "(?i)(?:[,;]\\s*(?:but\\s+|and\\s+)?|\\s+(?:but|and)\\s+)(?:not|rather\\s+than|instead\\s+of)\\s.*$|\\s+(?:rather\\s+than|instead\\s+of)\\s.*$");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

    /** The final number of a reply, or null. */
    public static Span number(String reply) {
        String text = clean(reply);
        List<Candidate> all = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) {
            if (isOperand(text, m.start(), m.end())) continue;
            all.add(new Candidate(m.start(), m.end(), canonicalNumber(m.group())));
        }
        return choose(text, all);
    }

    /** The final option letter of a reply (upper case), or null. */
    public static Span choice(String reply) {
        String text = clean(reply);
        List<Candidate> all = new ArrayList<>();
        Matcher m = CHOICE.matcher(text);
        while (m.find()) {
            int g = m.group(1) != null ? 1 : m.group(2) != null ? 2 : 3;
            String letter = m.group(g);
            if (g == 3 && (letter.equals("A") || letter.equals("I"))
                    && !STRONG_AFTER.matcher(text.substring(m.end())).find()
                    && !OPTION_BEFORE.matcher(text.substring(0, m.start())).find()) {
                continue; // the article "A" or the pronoun "I"
            }
            all.add(new Candidate(m.start(g), m.end(g), letter.toUpperCase(Locale.ROOT)));
        }
        // A bare letter (any case) right after an answer marker: "Answer: b", "The answer is A because ...".
        Marker plain = lastMarkerOf(text);
        if (plain != null) {
            Matcher first = FIRST_LETTER.matcher(text.substring(plain.regionStart(), plain.regionEnd()));
            if (first.find()) {
                int s = plain.regionStart() + first.start(1);
                if (all.stream().noneMatch(c -> c.start() == s)) {
                    all.add(new Candidate(s, s + 1, first.group(1).toUpperCase(Locale.ROOT)));
                    all.sort((x, y) -> Integer.compare(x.start(), y.start()));
                }
            }
        }
        return choose(text, all);
    }

    /**
     * The final {@code words} words of the reply's answer: after the last marker (up to the first
     * clause break), else at the end of the last sentence (less a trailing "..., not X"); null when
     * they are denied, hedged or retracted.
     */
    public static Span finalWords(String reply, int words) {
        String text = clean(reply);
        int regionStart, regionEnd;
        Marker marker = lastMarkerOf(text);
        String after;
        if (marker != null && WORD.matcher(text.substring(marker.regionStart(), exactEnd(text, marker))).find()) {
            regionStart = marker.regionStart();
            regionEnd = exactEnd(text, marker);
            after = text.substring(regionEnd);
            if (after.matches("(?is)^\\s*,?\\s*or\\b.*")) return null; // "Answer: Paris, or Lyon"
        } else {
            int[] last = lastSentence(text);
            if (last == null) return null;
            regionStart = last[0];
            regionEnd = last[1];
            if (RETRACTION.matcher(text.substring(regionStart, regionEnd)).find()) return null;
            Matcher contrast = CONTRAST_TAIL.matcher(text.substring(regionStart, regionEnd));
            if (contrast.find()) regionEnd = regionStart + contrast.start();
        }
        List<int[]> tokens = new ArrayList<>();
        Matcher w = WORD.matcher(text).region(regionStart, regionEnd);
        while (w.find()) tokens.add(new int[] {w.start(), w.end()});
        if (tokens.isEmpty()) return null;
        int first = Math.max(0, tokens.size() - words);
        int start = tokens.get(first)[0], end = tokens.get(tokens.size() - 1)[1];
        if (isDenied(text, regionStart, start, end)) return null;
        String before = text.substring(regionStart, start);
        if (before.matches("(?is).*(?:\\b(?:or|and|nor)|/)\\s*$")) return null; // "Lyon or Paris"
        if (RETRACTION.matcher(text.substring(end)).find()) return null;
        return new Span(reply.substring(start, end), start, end);
    }

    /** The last match of a pattern (its first group, or the whole match), or null; retracted is null. */
    public static Span lastMatch(Pattern pattern, String reply) {
        Matcher m = pattern.matcher(reply);
        Span last = null;
        while (m.find()) {
            int g = m.groupCount() > 0 && m.group(1) != null ? 1 : 0;
            last = new Span(m.group(g), m.start(g), m.end(g));
        }
        if (last == null || RETRACTION.matcher(reply.substring(last.end())).find()) return null;
        return last;
    }

    /** Whether a string is exactly one number ("1,000", "-4", "2.5", "1/2"). */
    public static boolean isNumber(String s) {
        return NUMBER.matcher(s.strip()).matches();
    }

    /** Numeric equality of two number strings (exact: 2.50 = 2.5, 1/2 = 0.5, 1,000 = 1000). */
    public static boolean sameNumber(String a, String b) {
        BigDecimal[] x = rational(a), y = rational(b);
        if (x == null || y == null) return false;
        return x[0].multiply(y[1]).compareTo(y[0].multiply(x[1])) == 0;
    }

    /** Lower case, accents folded, punctuation dropped, words single-spaced: what exact answers compare. */
    public static String normalize(String s) {
        String folded = Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}+", "");
        StringBuilder out = new StringBuilder();
        Matcher w = WORD.matcher(folded.toLowerCase(Locale.ROOT));
        while (w.find()) out.append(out.length() == 0 ? "" : " ").append(w.group());
        return out.toString();
    }

    // ---- the shared rules ----

    private record Candidate(int start, int end, String value) {}

    private record Marker(int regionStart, int regionEnd, boolean boxed) {}

    /** Markdown emphasis, backticks, $ and LaTeX \( \) become spaces; a Unicode minus becomes '-'. Length is kept. */
    static String clean(String reply) {
        char[] c = reply.toCharArray();
        for (int i = 0; i < c.length; i++) {
            if (c[i] == '*' || c[i] == '`' || c[i] == '$' || c[i] == '_') c[i] = ' ';
            else if (c[i] == '−') c[i] = '-';
            else if (c[i] == '\\' && i + 1 < c.length && "()[]".indexOf(c[i + 1]) >= 0) {
                c[i] = ' ';
                c[i + 1] = ' ';
            }
        }
        return new String(c);
    }

    /** Picks the final committed candidate: the first after the last marker that has one, else the last. */
    private static Span choose(String text, List<Candidate> all) {
        Marker marker = lastMarker(text, all);
        Candidate chosen = null;
        if (marker != null) {
            for (Candidate c : all) {
                if (c.start() < marker.regionStart() || c.end() > marker.regionEnd()) continue;
                if (!isDenied(text, marker.regionStart(), c.start(), c.end())) {
                    chosen = c;
                    break;
                }
            }
            if (chosen == null) return null; // "The answer is not 7."
        } else {
            for (Candidate c : all) if (!isDenied(text, 0, c.start(), c.end())) chosen = c;
            if (chosen == null) return null;
        }
        int i = all.indexOf(chosen);
        if ((i > 0 && hedged(text, all.get(i - 1), chosen)) || (i + 1 < all.size() && hedged(text, chosen, all.get(i + 1)))) {
            return null;
        }
        if (RETRACTION.matcher(text.substring(chosen.end())).find()) return null;
        return new Span(chosen.value(), chosen.start(), chosen.end());
    }

    /** The last marker whose region holds at least one candidate. */
    private static Marker lastMarker(String text, List<Candidate> all) {
        Marker found = null;
        Matcher m = MARKER.matcher(text);
        while (m.find()) {
            Marker marker = regionOf(text, m);
            for (Candidate c : all) {
                if (c.start() >= marker.regionStart() && c.end() <= marker.regionEnd()) {
                    found = marker;
                    break;
                }
            }
        }
        return found;
    }

    private static Marker lastMarkerOf(String text) {
        Marker found = null;
        Matcher m = MARKER.matcher(text);
        while (m.find()) {
            Marker marker = regionOf(text, m);
            if (!text.substring(marker.regionStart(), marker.regionEnd()).isBlank()) found = marker;
        }
        return found;
    }

    /** A boxed answer's braces; "####" to the line's end; any other marker to its sentence's end. */
    private static Marker regionOf(String text, Matcher m) {
        int start = m.end();
        if (m.group().endsWith("{")) {
            int depth = 1, i = start;
            for (; i < text.length() && depth > 0; i++) {
                if (text.charAt(i) == '{') depth++;
                else if (text.charAt(i) == '}') depth--;
            }
            return new Marker(start, depth == 0 ? i - 1 : text.length(), true);
        }
        if (m.group().contains("####")) {
            int nl = text.indexOf('\n', start);
            return new Marker(start, nl < 0 ? text.length() : nl, false);
        }
        Matcher end = SENTENCE_END.matcher(text);
        return new Marker(start, end.find(start) ? end.start() : text.length(), false);
    }

    /** Where an exact answer after a marker ends: its first clause break. */
    private static int exactEnd(String text, Marker marker) {
        if (marker.boxed()) return marker.regionEnd();
        Matcher end = EXACT_CLAUSE_END.matcher(text).region(marker.regionStart(), marker.regionEnd());
        while (end.find()) {
            if (WORD.matcher(text.substring(marker.regionStart(), end.start())).find()) return end.start();
        }
        return marker.regionEnd();
    }

    /** The last sentence that has a word in it: [start, end) without its final punctuation. */
    private static int[] lastSentence(String text) {
        List<int[]> sentences = new ArrayList<>();
        Matcher end = SENTENCE_END.matcher(text);
        int start = 0;
        while (end.find()) {
            sentences.add(new int[] {start, end.start()});
            start = end.end();
        }
        sentences.add(new int[] {start, text.length()});
        for (int i = sentences.size() - 1; i >= 0; i--) {
            int[] s = sentences.get(i);
            if (WORD.matcher(text.substring(s[0], s[1])).find()) return s;
        }
        return null;
    }

    /** A negator among the (up to four) words before the span in its clause, or "is wrong" after it. */
    private static boolean isDenied(String text, int from, int start, int end) {
        String before = text.substring(from, start);
        Matcher brk = CLAUSE_BREAK.matcher(before);
        int clauseStart = 0;
        while (brk.find()) clauseStart = brk.end();
        String[] words = before.substring(clauseStart).trim().split("\\s+");
        String lastWords = String.join(" ", java.util.Arrays.copyOfRange(words, Math.max(0, words.length - 4), words.length));
        return NEGATOR.matcher(lastWords).find() || DENIED_AFTER.matcher(text.substring(end)).find();
    }

    /** Two different candidates joined only by "or"/"and"/"/" (and hedge words): neither is committed. */
    private static boolean hedged(String text, Candidate a, Candidate b) {
        if (a.value().equals(b.value())) return false;
        String between = text.substring(a.end(), b.start());
        return HEDGE.matcher(between).matches() && HEDGE_WORD.matcher(between).find();
    }

    private static boolean isOperand(String text, int start, int end) {
        return OPERATOR_AFTER.matcher(text.substring(end)).find() || OPERATOR_BEFORE.matcher(text.substring(0, start)).find();
    }

    private static String canonicalNumber(String s) {
        BigDecimal[] r = rational(s);
        if (r == null) return s;
        return r[1].compareTo(BigDecimal.ONE) == 0 ? r[0].stripTrailingZeros().toPlainString() : s.replace(",", "");
    }

    /** numerator, denominator; null when not a number. */
    private static BigDecimal[] rational(String s) {
        Matcher m = NUMBER.matcher(s.strip());
        if (!m.matches()) return null;
        BigDecimal n = new BigDecimal(m.group(1) + m.group(2).replace(",", "") + (m.group(3) == null ? "" : m.group(3)));
        BigDecimal d = m.group(4) == null ? BigDecimal.ONE : new BigDecimal(m.group(4));
        if (d.signum() == 0) return null;
        return new BigDecimal[] {n, d};
    }
}
