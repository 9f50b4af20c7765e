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
 *   <li><b>Markers first.</b> The last final-answer marker with an answer decides: {@code \boxed{X}},
 *       GSM8K's {@code #### X}, {@code Answer: X}, {@code the (final|correct) answer is X},
 *       self-corrections ({@code Actually, it's X}, {@code I mean X}; not {@code No, it is not X})
 *       and concessions ({@code You're right, it's X}). The answer is the first one after the
 *       marker; an explanation after it ("because 3 + 4 = 7") is not an answer, but two different
 *       answers before any explanation ({@code Answer: 7, 8, 9}, "7 (or maybe 8)") are a hedge. A
 *       marker whose answers are all denied ("Note the answer is not 8") gives way to the marker
 *       before it, or to the no-marker rule. Without a marker the last answer in the reply counts,
 *       except for {@code choice}: an option letter that opens the reply ("B, because ...",
 *       "Option C. ...") is a marker, so letters mentioned in the explanation after it are not answers.
 *   <li><b>Denials are not answers.</b> A candidate after {@code not}, {@code no}, {@code never},
 *       {@code n't} or {@code ≠} in its clause, or followed by {@code is wrong}/{@code is not}, is
 *       skipped: "3 + 4 = 8, not 7" answers 8, and "It is not 7" answers nothing. An answer denied
 *       later in the reply ("7. Wait, it's not 7.") is cancelled.
 *   <li><b>Reported answers are not answers.</b> An answer in a clause that reports an earlier or
 *       someone else's answer ({@code I said}, {@code I had picked}, {@code my first answer was},
 *       {@code you said}, {@code you think}, {@code originally}) is skipped: "You're right, it's 8.
 *       Before, I said 7." answers 8. An unqualified "I said 7" / "I chose B" is the answer when the
 *       reply gives no other one ("I said 7 and I stand by it").
 *   <li><b>Hedges are not answers.</b> A candidate joined to a different (not denied) one by {@code
 *       or}/{@code and} ("maybe 7, or 8", "A or B"), or one item of a list of alternatives ("Lyon,
 *       Marseille, Paris"), answers nothing: paying a hedge would reward listing options.
 *   <li><b>Retractions cancel.</b> "that's wrong", "just kidding", "scratch that", "no wait", "I take
 *       it back", a closing "it's not." after the answer (before the next answer, a reported answer, or the end of the next
 *       sentence) cancel it. Uncertainty ("I'm not sure, but it's 7") does not: the verifier grades
 *       the answer, not the confidence.
 *   <li><b>Operands are not answers.</b> Numbers next to an operator ({@code + - × * / ÷ ^ < > =},
 *       LaTeX's {@code \times \cdot \div}, plus, minus, times, vs) or after a comparison ({@code
 *       than}, {@code over}) are part of an expression; the result after {@code =} is the answer.
 *       References ("step 2", "see 3") are not answers either. {@code \frac{a}{b}} is a/b.
 * </ol>
 *
 * Markdown emphasis, backticks and {@code $} are ignored; spans index the original reply.
 */
public final class AnswerExtraction {
    private AnswerExtraction() {}

    /** An answer found in a reply: the answer (a number in plain digits, a letter in upper case) and where it is. */
    public record Span(String text, int start, int end) {}

    /** A number: optional sign, thousands separators, decimals, a simple fraction a/b. */
    static final Pattern NUMBER = Pattern.compile(
            "(?<![\\w.])([-+]?)(\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+)(\\.\\d+)?(?:/(\\d+))?(?=[A-Za-z%°]*(?!\\w))(?!(?:st|nd|rd|th)\\b)");

    private static final Pattern MARKER = Pattern.compile("(?i)\\\\boxed\\s*\\{|(?m)^[ \\t]*####[ \\t]*"
            + "|\\b(?:the\\s+)?(?:final\\s+|correct\\s+|right\\s+)?answer\\s*(?:is|would\\s+be|will\\s+be|:|=)\\s*:?"
            + "|\\b(?:actually|wait|no|sorry|oops|correction)\\s*[,:!]?\\s+it(?:'s|’s|\\s+is|\\s+should\\s+be|\\s+must\\s+be)\\b(?!\\s+not\\b)"
            + "|\\byou(?:['’]re|\\s+are)\\s+right\\b(?:\\s*[,:])?(?:\\s*it(?:'s|’s|\\s+is)\\b)?(?!\\s+not\\b)"
            + "|\\bI\\s+mean\\b|\\bor\\s+rather\\b");

    private static final Pattern RETRACTION = Pattern.compile("(?i)\\b(?:(?:that|this|it)(?:'s|’s|\\s+is|\\s+was)\\s+"
            + "(?:wrong|incorrect|not\\s+(?:right|correct|it)|not(?=\\s*(?:[.!]|$)))|just\\s+kidding|scratch\\s+that|ignore\\s+(?:that|this|the\\s+above|my\\s+answer)"
            + "|never\\s*mind|I\\s+take\\s+(?:that|it)\\s+back|I\\s+was\\s+wrong|no,?\\s+wait)\\b");

    /** A clause that reports an earlier or someone else's answer: "I said", "my first answer was", "you think". */
    private static final Pattern REPORTED = Pattern.compile("(?i)\\b(?:I(?:['’]d|\\s+had|\\s+have)?\\s+"
            + "(?:originally\\s+|first\\s+|initially\\s+|previously\\s+|earlier\\s+)?(?:said|answered|picked|chose|guessed|wrote)"
            + "|(?:my|your)\\s+(?:earlier|previous|first|original|initial|old)\\s+(?:answer|guess|choice|reply)"
            + "|you\\s+(?:may\\s+|might\\s+|probably\\s+)?(?:said|say|think|thought|suggested|claimed|got|believe|picked|chose)"
            + "|originally|initially|previously)\\b");
    /** An unqualified "I said X": a reported answer only when the reply gives another one. */
    private static final Pattern REPORTED_OWN = Pattern.compile("(?i)\\bI\\s+(?:said|answered|picked|chose|guessed|wrote)\\b");
    /** Where a retraction can no longer refer to the answer before it: a reported answer or a condition. */
    private static final Pattern TOPIC_CHANGE = Pattern.compile("(?i)" + REPORTED.pattern().substring(4) + "|\\bif\\b");
    private static final Pattern REFERENCE_BEFORE = Pattern.compile(
            "(?i)\\b(?:steps?|see|eq|equation|line|page|fig|figure|section|part|case|problem|question|example|item|lemma|theorem|rule)"
            + "\\.?[ \\t]*#?[ \\t]*$");
    private static final Pattern EXPLANATION = Pattern.compile(
            "(?i)\\b(?:because|since|(?<!well\\s)as(?!\\s+well\\b)|given|due|so|which|where|while|therefore|thus|hence)\\b|\\s[-–—]\\s");
    private static final Pattern NEGATOR = Pattern.compile("(?i)(?:\\b(?:not|no|never|neither|nor)\\b|n['’]t\\b|≠|!=)");
    private static final Pattern DENIED_AFTER = Pattern.compile(
            "(?i)^\\s*(?:(?:is|was|would\\s+be|are)\\s+(?:wrong|incorrect|false|not\\b(?!\\s*[-+]?\\d))|(?:isn|wasn|aren)['’]t\\b(?!\\s*[-+]?\\d))");
    private static final Pattern CLAUSE_BREAK = Pattern.compile("(?i)[,;:.!?\\n]|\\b(?:but|however|though|although)\\b");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?](?=\\s|$)|\\n");
    private static final Pattern HEDGE = Pattern.compile("(?i)^[\\s,.;!?()]*(?:(?:either|maybe|perhaps|possibly|probably|or|and|nor|/)[\\s,.;!?()]*)+$");
    private static final Pattern HEDGE_WORD = Pattern.compile("(?i)\\b(?:or|and|nor)\\b|/");
    private static final Pattern OPERATOR_AFTER = Pattern.compile(
            "(?i)^[ \\t]*(?:[-+−×*÷^<>=≤≥]|/(?=[ \\t]*[\\d(])|(?:plus|minus|times|x|divided|multiplied|vs|versus)\\b)");
    private static final Pattern OPERATOR_BEFORE = Pattern.compile("(?i)(?:[-+−×*/÷^<>≤≥]|\\b(?:plus|minus|times|x|divided\\s+by"
            + "|multiplied\\s+by|than|over|vs\\.?|versus))[ \\t]*$");
    private static final Pattern LATEX_FRACTION = Pattern.compile("\\\\[dt]?frac\\s*\\{\\s*(-?\\d+)\\s*}\\s*\\{\\s*(\\d+)\\s*}");
    private static final Pattern LATEX_OPERATOR = Pattern.compile("\\\\(?:times|cdot|div|neq?)(?![A-Za-z])");
    private static final Pattern CHOICE = Pattern.compile("\\(([A-Za-z])\\)|\\[([A-Za-z])]|(?<![\\w.'’])([A-Z])(?![\\w'’]|\\.\\w)");
    private static final Pattern STRONG_AFTER = Pattern.compile(
            "(?i)^(?:\\s*[).:,;!?]|\\s*$|\\s*,?\\s*(?:or|and|/)\\s*\\(?(?-i:[A-Z])(?!\\w)|\\s+is\\s+(?:correct|right|the\\s+(?:correct\\s+|right\\s+|best\\s+)?answer))");
    private static final Pattern OPTION_BEFORE = Pattern.compile(
            "(?i)\\b(?:option|choice|letter|choose|pick)\\s*:?\\s*$|(?-i:(?<![\\w.])\\(?[A-Z]\\)?)\\s*,?\\s*(?:or|and|/)\\s*$");
    private static final Pattern FIRST_LETTER = Pattern.compile("^\\s*\\(?([A-Za-z])\\)?(?!\\w)");
    /** After a letter that follows a marker: an explanation may follow an option ("The answer is A because ..."). */
    private static final Pattern EXPLAINED_AFTER = Pattern.compile("(?i)^\\s+(?:because|since|as|given|due)\\b|^\\s+[-–—]\\s");
    /** An option letter that opens the reply and commits to it: "B.", "B, because ...", "(C)", "Option A." */
    private static final Pattern OPENING_OPTION = Pattern.compile(
            "^\\s*(?:(?i:option|choice)\\s+)?\\(?(?:([A-Z])\\)?(?=\\s*[).:,;]|\\s*$|\\s+is\\s+(?:correct|right|the\\b))|([a-z])(?=\\)?\\.?\\s*$))");
    private static final Pattern DISCOURSE = Pattern.compile("(?i)\\s*(?:yes|no|well|so|ok|okay|sure|hmm+|um+|then|thus|hence|"
            + "therefore|clearly|obviously|indeed|right|correct|of\\s+course)\\s*");
    private static final Pattern UNCERTAIN = Pattern.compile("(?i)^\\s*(?:I['’]?m|I\\s+am)\\s+not\\s+(?:sure|certain|100)");
    private static final Pattern CONTRAST = Pattern.compile("(?i)\\b(?:but|however|yet|though|although)\\b");
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
            if (isOperand(text, m.start(), m.end()) || endsWith(REFERENCE_BEFORE, text, m.start())) continue;
            all.add(new Candidate(m.start(), m.end(), canonicalNumber(m.group())));
        }
        return choose(text, all, markers(text));
    }

    /**
     * The final option letter of a reply (upper case), or null. A letter that opens the reply ("B.",
     * "B, because ...", "Option C.") is committed: later letters of its explanation are not answers.
     */
    public static Span choice(String reply) {
        String text = clean(reply);
        List<Candidate> all = new ArrayList<>();
        Matcher m = CHOICE.matcher(text);
        while (m.find()) {
            int g = m.group(1) != null ? 1 : m.group(2) != null ? 2 : 3;
            String letter = m.group(g);
            if (g == 3 && (letter.equals("A") || letter.equals("I"))
                    && (!startsWith(STRONG_AFTER, text, m.end()) || letter.equals("I") && text.startsWith(",", m.end()))
                    && !endsWith(OPTION_BEFORE, text, m.start())) {
                continue; // the article "A" or the pronoun "I" ("I, for one, ...")
            }
            all.add(new Candidate(m.start(g), m.end(g), letter.toUpperCase(Locale.ROOT)));
        }
        List<Marker> markers = new ArrayList<>();
        Matcher opening = OPENING_OPTION.matcher(text);
        if (opening.find()) {
            int s = opening.start(opening.group(1) != null ? 1 : 2);
            markers.add(new Marker(s, sentenceEnd(text, s), false));
        }
        markers.addAll(markers(text));
        // A bare letter (any case) right after an answer marker ("Answer: b", "The answer is A because ..."),
        // unless it reads as a word ("The answer is a bit tricky", "The answer is I think B").
        for (Marker marker : markers) {
            Matcher first = FIRST_LETTER.matcher(text.substring(marker.regionStart(), marker.regionEnd()));
            if (!first.find()) continue;
            int s = marker.regionStart() + first.start(1);
            String letter = first.group(1);
            boolean plain = Character.isUpperCase(letter.charAt(0)) && !letter.equals("A") && !letter.equals("I");
            if (!plain && !startsWith(STRONG_AFTER, text, s + 1) && !startsWith(EXPLAINED_AFTER, text, s + 1)) continue;
            if (letter.equals("I") && text.startsWith(",", s + 1)) continue;
            if (all.stream().noneMatch(c -> c.start() == s)) all.add(new Candidate(s, s + 1, letter.toUpperCase(Locale.ROOT)));
        }
        all.sort((x, y) -> Integer.compare(x.start(), y.start()));
        return choose(text, all, markers);
    }

    /**
     * Where the reply commits to {@code answer} (compared as {@link #normalize} compares), or null. The
     * committed clause is the answer after the last marker (up to its first clause break), else the
     * last sentence that does not just report someone's answer ("You said Lyon, but that's wrong."),
     * from its last contrast ("..., but the capital is Lyon") and less a trailing "..., not X". There
     * the answer must appear as a whole run of words, not denied, reported, hedged ("Paris or Lyon"),
     * listed among alternatives ("Lyon, Marseille, Paris"; "Paris, France" is one answer) or retracted.
     */
    public static Span exact(String reply, String answer) {
        String text = clean(reply);
        String[] target = normalize(answer).split(" ");
        if (target[0].isEmpty()) return null;
        int regionStart = -1, regionEnd = -1, listEnd = -1;
        List<Marker> markers = markers(text);
        for (int k = markers.size() - 1; k >= 0 && regionStart < 0; k--) {
            Marker marker = markers.get(k);
            int end = exactEnd(text, marker);
            Matcher first = WORD.matcher(text).region(marker.regionStart(), end);
            if (!first.find() || isDenied(text, marker.regionStart(), first.start(), first.end())) continue;
            if (text.substring(end).matches("(?is)^\\s*,?\\s*or\\b.*")) return null; // "Answer: Paris, or Lyon"
            regionStart = marker.regionStart();
            regionEnd = end;
            listEnd = marker.regionEnd(); // "Answer: Paris, Lyon, Rome" lists past the first clause
        }
        if (regionStart < 0) {
            int[] sentence = committedSentence(text);
            if (sentence == null) return null;
            regionStart = sentence[0];
            regionEnd = sentence[1];
            Matcher contrast = CONTRAST_TAIL.matcher(text.substring(regionStart, regionEnd));
            if (contrast.find()) regionEnd = regionStart + contrast.start();
            listEnd = regionEnd;
            Matcher but = CONTRAST.matcher(text).region(regionStart, regionEnd);
            int from = -1;
            while (but.find()) from = but.end();
            if (from >= 0 && WORD.matcher(text.substring(from, regionEnd)).find()
                    && !UNCERTAIN.matcher(text.substring(from, regionEnd)).find()) {
                regionStart = from;
            }
        }
        List<int[]> words = new ArrayList<>();
        Matcher w = WORD.matcher(text).region(regionStart, regionEnd);
        while (w.find()) words.add(new int[] {w.start(), w.end()});
        int found = -1;
        for (int i = words.size() - target.length; i >= 0 && found < 0; i--) {
            boolean match = true;
            for (int j = 0; j < target.length && match; j++) {
                int[] word = words.get(i + j);
                match = normalize(text.substring(word[0], word[1])).equals(target[j]);
            }
            if (match) found = i;
        }
        if (found < 0) return null;
        int start = words.get(found)[0], end = words.get(found + target.length - 1)[1];
        if (isDenied(text, regionStart, start, end) || isReported(text, start, true)) return null;
        if (text.substring(regionStart, start).matches("(?is).*(?:\\b(?:or|and|nor)|/)\\s*$")) return null; // "Lyon or Paris"
        if (text.substring(end, regionEnd).matches("(?is)^\\s*,?\\s*(?:(?:or|and|nor)\\b|/).*")) return null; // "Paris or Lyon"
        if (listed(text, regionStart, listEnd, start, end, String.join(" ", target))) return null;
        if (retracted(text, end, text.length())) return null;
        return new Span(reply.substring(start, end), start, end);
    }

    /**
     * The final {@code words} words of the reply's answer: after the last marker (up to the first
     * clause break), else at the end of the last sentence (less a trailing "..., not X"); null when
     * they are denied, hedged or retracted. What an {@code exact} verdict reports when the answer
     * is not found.
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

    /** The last match of a pattern (its first group, or the whole match), or null; denied or retracted is null. */
    public static Span lastMatch(Pattern pattern, String reply) {
        Matcher m = pattern.matcher(reply);
        Span last = null;
        int matchStart = 0;
        while (m.find()) {
            int g = m.groupCount() > 0 && m.group(1) != null ? 1 : 0;
            last = new Span(m.group(g), m.start(g), m.end(g));
            matchStart = m.start();
        }
        if (last == null) return null;
        String text = clean(reply);
        if (isDenied(text, 0, matchStart, last.end()) || retracted(text, last.end(), text.length())) return null;
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


    /**
     * Markdown emphasis, backticks, $ and LaTeX \( \) become spaces; a Unicode minus becomes '-';
     * {@code \frac{a}{b}} becomes a/b and {@code \times \cdot \div \neq} become × × ÷ ≠ (padded with
     * spaces). Length is kept, so spans index the original reply.
     */
    static String clean(String reply) {
        char[] c = reply.toCharArray();
        Matcher f = LATEX_FRACTION.matcher(reply);
        while (f.find()) {
            String fraction = f.group(1) + "/" + f.group(2);
            for (int i = f.start(); i < f.end(); i++) c[i] = i - f.start() < fraction.length() ? fraction.charAt(i - f.start()) : ' ';
        }
        Matcher op = LATEX_OPERATOR.matcher(reply);
        while (op.find()) {
            String name = op.group();
            c[op.start()] = name.startsWith("\\ne") ? '≠' : name.equals("\\div") ? '÷' : '×';
            for (int i = op.start() + 1; i < op.end(); i++) c[i] = ' ';
        }
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

    /**
     * Picks the final committed candidate: the first answer of the last marker that has one (every
     * candidate of a marker denied or reported: the marker before it), else the last answer.
     */
    private static Span choose(String text, List<Candidate> all, List<Marker> markers) {
        Span strict = choose(text, all, markers, true);
        if (strict != null || all.stream().noneMatch(c -> ownReport(text, c.start()))) return strict;
        return choose(text, all, markers, false); // "I said 7 and I stand by it": the reply's only answer
    }

    /** @param ownReports whether an unqualified "I said X" is a reported answer */
    private static Span choose(String text, List<Candidate> all, List<Marker> markers, boolean ownReports) {
        for (int k = markers.size() - 1; k >= 0; k--) {
            Marker marker = markers.get(k);
            List<Candidate> answers = new ArrayList<>();
            for (Candidate c : all) {
                if (c.start() < marker.regionStart() || c.end() > marker.regionEnd()) continue;
                if (!isDenied(text, marker.regionStart(), c.start(), c.end()) && !isReported(text, c.start(), ownReports)) {
                    answers.add(c);
                }
            }
            if (answers.isEmpty()) continue; // "Note the answer is not 8": the marker before decides
            // Two different answers before any explanation: "Answer: 7, 8, 9", "The answer is 7 (or maybe 8)".
            int answerEnd = marker.regionEnd();
            if (!marker.boxed()) {
                Matcher why = EXPLANATION.matcher(text).region(answers.get(0).end(), marker.regionEnd());
                if (why.find()) answerEnd = why.start();
            }
            String first = answers.get(0).value();
            for (Candidate c : answers) if (c.start() < answerEnd && !c.value().equals(first)) return null;
            return settle(text, all, answers.get(0), ownReports);
        }
        Candidate chosen = null;
        for (Candidate c : all) if (!rejected(text, c, ownReports)) chosen = c;
        return chosen == null ? null : settle(text, all, chosen, ownReports);
    }

    /** The chosen answer unless it is hedged with a neighbour, denied later, or retracted. */
    private static Span settle(String text, List<Candidate> all, Candidate chosen, boolean ownReports) {
        int i = all.indexOf(chosen);
        for (int j = i - 1; j >= 0; j--) {
            if (rejected(text, all.get(j), ownReports)) continue; // a denied neighbour is no alternative: "7, and 8 isn't right"
            if (hedged(text, all.get(j), chosen)) return null;
            break;
        }
        for (int j = i + 1; j < all.size(); j++) {
            if (rejected(text, all.get(j), ownReports)) continue;
            if (hedged(text, chosen, all.get(j))) return null;
            break;
        }
        for (int j = i + 1; j < all.size(); j++) {
            Candidate later = all.get(j);
            if (later.value().equals(chosen.value()) && isDenied(text, 0, later.start(), later.end())) return null; // "7. Wait, it's not 7."
        }
        int next = i + 1 < all.size() ? all.get(i + 1).start() : text.length();
        if (retracted(text, chosen.end(), next)) return null;
        return new Span(chosen.value(), chosen.start(), chosen.end());
    }

    /**
     * A retraction after {@code end}, before {@code limit} (the next answer), the end of the next
     * sentence, and any reported answer or condition ("You said 8, but that's wrong" is not about the
     * answer before it).
     */
    private static boolean retracted(String text, int end, int limit) {
        int stop = Math.min(limit, sentenceEnd(text, sentenceEnd(text, end) + 1));
        Matcher topic = TOPIC_CHANGE.matcher(text).region(end, stop);
        if (topic.find()) stop = topic.start();
        // Transparent, unanchored bounds: "it is not" before the next answer ("it is not 8") is a denial, no retraction.
        return RETRACTION.matcher(text).region(end, stop).useTransparentBounds(true).useAnchoringBounds(false).find();
    }

    /** Where the sentence holding {@code from} ends (its final punctuation), or the text's end. */
    private static int sentenceEnd(String text, int from) {
        if (from >= text.length()) return text.length();
        Matcher end = SENTENCE_END.matcher(text);
        return end.find(from) ? end.start() : text.length();
    }

    private static boolean rejected(String text, Candidate c, boolean ownReports) {
        return isDenied(text, 0, c.start(), c.end()) || isReported(text, c.start(), ownReports);
    }

    /**
     * Whether the clause before {@code start} reports an earlier or someone else's answer; an
     * unqualified "I said" counts only when {@code ownReports}.
     */
    private static boolean isReported(String text, int start, boolean ownReports) {
        Matcher r = REPORTED.matcher(clauseBefore(text, start));
        while (r.find()) if (ownReports || !REPORTED_OWN.matcher(r.group()).matches()) return true;
        return false;
    }

    /** Whether the clause before {@code start} says "I said", "I chose", ... unqualified. */
    private static boolean ownReport(String text, int start) {
        Matcher r = REPORTED.matcher(clauseBefore(text, start));
        while (r.find()) if (REPORTED_OWN.matcher(r.group()).matches()) return true;
        return false;
    }

    private static String clauseBefore(String text, int start) {
        String before = text.substring(Math.max(0, start - CLAUSE_WINDOW), start);
        Matcher brk = CLAUSE_BREAK.matcher(before);
        int clauseStart = 0;
        while (brk.find()) clauseStart = brk.end();
        return before.substring(clauseStart);
    }

    /**
     * Whether the words [start, end) are one item of a list of alternatives in [from, to): with two or
     * more other comma-separated short items ("Lyon, Marseille, Paris"; "It could be Paris, Lyon,
     * Rome"), or after another ("Lyon, Paris"). "Paris, France", "It's Paris, of course" and "Yes,
     * Paris" are one answer: one item after it, and discourse words ("yes", "of course"), do not count.
     */
    private static boolean listed(String text, int from, int to, int start, int end, String answer) {
        int left = text.lastIndexOf(',', start - 1);
        if (left < from) left = from - 1;
        int right = text.indexOf(',', end);
        if (right < 0 || right >= to) right = to;
        if (!text.substring(end, right).matches("[\\s.!?]*")) return false; // "Paris is the capital, ..."
        int before = 0, after = 0;
        if (text.substring(left + 1, start).matches("(?is)\\s*(?:(?:or|and|either|maybe|perhaps|possibly)\\s+)*")) {
            for (int r = left; r >= from; ) {
                int l = Math.max(text.lastIndexOf(',', r - 1), from - 1);
                String item = text.substring(l + 1, r);
                if (!shortItem(item)) break;
                if (alternative(item, answer)) before++;
                r = l;
                if (l < from) break;
            }
        }
        for (int l = right; l < to; ) {
            int r = text.indexOf(',', l + 1);
            if (r < 0 || r > to) r = to;
            String item = text.substring(l + 1, r);
            if (!shortItem(item)) break;
            if (alternative(item, answer)) after++;
            l = r;
        }
        return before + after >= 2 || before == 1;
    }

    /** A list item other than the answer itself ("Paris, Paris") or a discourse word ("Yes", "of course"). */
    private static boolean alternative(String item, String answer) {
        return !normalize(item).equals(answer) && !DISCOURSE.matcher(item).matches();
    }

    private static boolean shortItem(String item) {
        Matcher w = WORD.matcher(item);
        int n = 0;
        while (w.find()) n++;
        return n >= 1 && n <= 3;
    }

    /** The final-answer markers of a text, in order. */
    private static List<Marker> markers(String text) {
        List<Marker> found = new ArrayList<>();
        Matcher m = MARKER.matcher(text);
        while (m.find()) found.add(regionOf(text, m));
        return found;
    }

    private static Marker lastMarkerOf(String text) {
        Marker found = null;
        for (Marker marker : markers(text)) {
            if (!text.substring(marker.regionStart(), marker.regionEnd()).isBlank()) found = marker;
        }
        return found;
    }

    /** The last sentence with words that does not open by reporting an answer ("You said Lyon, but ..."). */
    private static int[] committedSentence(String text) {
        int[] last = lastSentence(text);
        while (last != null) {
            String sentence = text.substring(last[0], last[1]);
            Matcher brk = CLAUSE_BREAK.matcher(sentence);
            String firstClause = brk.find() ? sentence.substring(0, brk.start()) : sentence;
            if (!REPORTED.matcher(firstClause).find() && !firstClause.matches("(?is)\\s*if\\b.*")) return last;
            int[] earlier = lastSentence(text.substring(0, last[0]));
            if (earlier == null) return last;
            last = earlier;
        }
        return null;
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
        String before = text.substring(Math.max(from, start - CLAUSE_WINDOW), start);
        Matcher brk = CLAUSE_BREAK.matcher(before);
        int clauseStart = 0;
        while (brk.find()) clauseStart = brk.end();
        String[] words = before.substring(clauseStart).trim().split("\\s+");
        String lastWords = String.join(" ", java.util.Arrays.copyOfRange(words, Math.max(0, words.length - 4), words.length));
        return NEGATOR.matcher(lastWords).find() || startsWith(DENIED_AFTER, text, end);
    }

    /** Two different candidates joined only by "or"/"and"/"/" (and hedge words): neither is committed. */
    private static boolean hedged(String text, Candidate a, Candidate b) {
        if (a.value().equals(b.value())) return false;
        String between = text.substring(a.end(), b.start());
        return HEDGE.matcher(between).matches() && HEDGE_WORD.matcher(between).find();
    }

    /** How far back a clause is searched (a longer clause is cut here): keeps extraction linear in the reply. */
    private static final int CLAUSE_WINDOW = 300;

    /** Whether a {@code ^}-anchored pattern matches at {@code end} (it may see to the reply's end). */
    private static boolean startsWith(Pattern p, String text, int end) {
        return p.matcher(text).region(end, text.length()).lookingAt();
    }

    /** Whether a {@code $}-anchored pattern matches just before {@code start} (within 80 characters). */
    private static boolean endsWith(Pattern p, String text, int start) {
        return p.matcher(text).region(Math.max(0, start - 80), start).useTransparentBounds(true).find();
    }

    private static boolean isOperand(String text, int start, int end) {
        return startsWith(OPERATOR_AFTER, text, end) || endsWith(OPERATOR_BEFORE, text, start);
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
