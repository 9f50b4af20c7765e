package dev.align.core.reward;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a model's reply against a ground-truth answer, for verifiable rewards (RLVR) and evaluations.
 * Every verifier grades the reply's final, committed answer as {@link AnswerExtraction} finds it
 * (markers first; denied, hedged and retracted answers count as no answer):
 *
 * <ul>
 *   <li>{@code number}: the final number equals the answer numerically ("1,000" = 1000, 2.50 = 2.5,
 *       1/2 = 0.5); numbers inside an expression ("3 + 4 = 7") are operands, the result is the answer;
 *   <li>{@code choice}: the committed option letter (one that opens the reply, else the final one;
 *       A–Z; "(B)", "B)", "answer is B", "Answer: b") equals
 *       the answer letter; the pronoun "I" and the article "A" are not options; the option's text is
 *       not consulted (the right text under a wrong letter is wrong);
 *   <li>{@code exact}: the answer (case, accents and punctuation ignored) appears as a whole run of
 *       words in the committed clause: after the last marker, or in the last sentence ("It's Paris,
 *       of course."), not denied, reported, hedged or one of a list of alternatives ("Lyon,
 *       Marseille, Paris"); a wrong verdict reports the reply's final words;
 *   <li>{@code regex:P}: P's last match (its first group, or the whole match), unless denied or
 *       retracted, equals the answer after the same normalisation.
 * </ul>
 */
public final class Verifier {
    /** The verifier names, as error messages list them. */
    public static final String NAMES = "number, choice, exact, regex:PATTERN";

    private static final Map<String, Verifier> CACHE = new ConcurrentHashMap<>();

    private enum Kind { NUMBER, CHOICE, EXACT, REGEX }

    private final String spec;
    private final Kind kind;
    private final Pattern pattern;

    private Verifier(String spec, Kind kind, Pattern pattern) {
        this.spec = spec;
        this.kind = kind;
        this.pattern = pattern;
    }

    /** A verdict: whether the reply is correct, and the answer extracted from it (null when none). */
    public record Verdict(boolean correct, String extracted) {
        /** 1.0 for a correct reply, else 0.0. */
        public float reward() {
            return correct ? 1f : 0f;
        }
    }

    /**
     * The verifier named {@code spec}: {@code number}, {@code choice}, {@code exact} or {@code
     * regex:PATTERN}. An unknown name or a bad pattern is an {@link IllegalArgumentException} whose
     * message is one line ("unknown verifier 'x' (number, choice, exact, regex:PATTERN)").
     */
    public static Verifier of(String spec) {
        Verifier cached = CACHE.get(spec);
        if (cached != null) return cached;
        Verifier v = switch (spec) {
            case "number" -> new Verifier(spec, Kind.NUMBER, null);
            case "choice" -> new Verifier(spec, Kind.CHOICE, null);
            case "exact" -> new Verifier(spec, Kind.EXACT, null);
            default -> {
                if (!spec.startsWith("regex:")) {
                    throw new IllegalArgumentException("unknown verifier '" + spec + "' (" + NAMES + ")");
                }
                try {
                    yield new Verifier(spec, Kind.REGEX, Pattern.compile(spec.substring(6)));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("invalid regular expression: " + e.getDescription());
                }
            }
        };
        if (CACHE.size() < 1024) CACHE.put(spec, v);
        return v;
    }

    /** The name this verifier was made from. */
    public String name() {
        return spec;
    }

    /** What is wrong with a ground-truth answer for this verifier, or null when it is usable. */
    public String problemWith(String answer) {
        if (answer == null || answer.isBlank()) return "empty";
        return switch (kind) {
            case NUMBER -> AnswerExtraction.isNumber(answer) ? null : "not a number: '" + answer + "'";
            case CHOICE -> letter(answer) != null ? null : "expected one option letter A-Z, got '" + answer + "'";
            case EXACT, REGEX -> AnswerExtraction.normalize(answer).isEmpty() ? "has no letters or digits" : null;
        };
    }

    /** Grades one reply against the ground truth. */
    public Verdict verify(String answer, String reply) {
        switch (kind) {
            case NUMBER -> {
                AnswerExtraction.Span s = AnswerExtraction.number(reply);
                return new Verdict(s != null && AnswerExtraction.sameNumber(s.text(), answer), text(s));
            }
            case CHOICE -> {
                AnswerExtraction.Span s = AnswerExtraction.choice(reply);
                String truth = letter(answer);
                return new Verdict(s != null && s.text().equals(truth), text(s));
            }
            case EXACT -> {
                AnswerExtraction.Span s = AnswerExtraction.exact(reply, answer);
                if (s != null) return new Verdict(true, s.text());
                int words = Math.max(1, AnswerExtraction.normalize(answer).split(" ").length);
                return new Verdict(false, text(AnswerExtraction.finalWords(reply, words)));
            }
            default -> {
                AnswerExtraction.Span s = AnswerExtraction.lastMatch(pattern, reply);
                String truth = AnswerExtraction.normalize(answer);
                return new Verdict(s != null && AnswerExtraction.normalize(s.text()).equals(truth), text(s));
            }
        }
    }

    /** Whether {@code reply} is correct for {@code answer} under the verifier named {@code verifier}. */
    public static boolean check(String verifier, String answer, String reply) {
        return of(verifier).verify(answer, reply).correct();
    }

    @Override
    public String toString() {
        return spec;
    }

    private static String text(AnswerExtraction.Span s) {
        return s == null ? null : s.text();
    }

    /** "B", "b", "(B)", "B)" or "B." → "B"; anything else → null. */
    private static String letter(String answer) {
        String a = answer.strip().replaceAll("^\\(|[).]$", "");
        return a.length() == 1 && Character.isLetter(a.charAt(0)) && a.charAt(0) < 128 ? a.toUpperCase(Locale.ROOT) : null;
    }
}
