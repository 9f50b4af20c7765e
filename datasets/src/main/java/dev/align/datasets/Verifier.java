package dev.align.datasets;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a model's reply against a ground-truth answer, for verifiable rewards and evaluations.
 *
 * <ul>
 *   <li>{@code number}: the last number in the reply equals the answer numerically;
 *   <li>{@code choice}: the first standalone option letter (A–Z) in the reply equals the answer;
 *   <li>{@code exact}: the reply, or its last sentence's final words, equal the answer (case and
 *       punctuation ignored);
 *   <li>{@code regex:P}: P's first group (or whole match) in the reply equals the answer.
 * </ul>
 */
public final class Verifier {
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");
    private static final Pattern CHOICE = Pattern.compile("\\b([A-Z])\\b");

    private Verifier() {}

    public static boolean check(String verifier, String answer, String reply) {
        if (verifier.equals("number")) {
            Matcher m = NUMBER.matcher(reply);
            String last = null;
            while (m.find()) last = m.group();
            try {
                return last != null && Double.parseDouble(last) == Double.parseDouble(answer.trim());
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (verifier.equals("choice")) {
            Matcher m = CHOICE.matcher(reply);
            return m.find() && m.group(1).equalsIgnoreCase(answer.trim());
        }
        if (verifier.startsWith("regex:")) {
            Matcher m = Pattern.compile(verifier.substring(6)).matcher(reply);
            if (!m.find()) return false;
            String got = m.groupCount() > 0 ? m.group(1) : m.group();
            return got != null && normalize(got).equals(normalize(answer));
        }
        String r = normalize(reply), a = normalize(answer);
        return r.equals(a) || r.endsWith(" " + a);
    }

    private static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}]+", " ").trim().replaceAll("\\s+", " ");
    }
}
