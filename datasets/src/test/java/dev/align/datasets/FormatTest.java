package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormatTest {
    @TempDir Path tmp;

    private Path file(String name, String... lines) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private void assertError(Format format, String expectedAfterFile, String... lines) throws Exception {
        Path f = file("data.jsonl", lines);
        BadInputException e = assertThrows(BadInputException.class, () -> Dataset.open(f, format, false).close());
        assertEquals(f + ":" + expectedAfterFile, e.getMessage());
    }

    private static final String OK_SFT = "{\"prompt\": \"2+2=\", \"completion\": \"4\"}";

    @Test
    void everyBadDataCaseNamesFileLineAndField() throws Exception {
        assertError(Format.SFT, "2: invalid JSON: Unexpected character ('}' (code 125)): was expecting double-quote to start field name",
                OK_SFT, "{\"prompt\": \"x\",}");
        assertError(Format.SFT, "1: field 'completion': missing", "{\"prompt\": \"2+2=\"}");
        assertError(Format.SFT, "1: field 'completion': expected a string or a list of messages, got a number",
                "{\"prompt\": \"2+2=\", \"completion\": 4}");
        assertError(Format.SFT, "3: field 'completion': empty", OK_SFT, "", "{\"prompt\": \"2+2=\", \"completion\": \"  \"}");
        assertError(Format.SFT, "1: field 'messages[1].role': unknown role 'bot' (system, user, assistant)",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"bot\", \"content\": \"yo\"}]}");
        assertError(Format.RANKED, "1: field 'ranking': not a permutation of 0..2: [0,0,1]",
                "{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [0, 0, 1]}");
        assertError(Format.RANKED, "1: field 'ranking': has 2 entries for 3 responses",
                "{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [0, 1]}");
        assertError(Format.PREFERENCE, "1: field 'rejected': missing", "{\"prompt\": \"p\", \"chosen\": \"a\"}");
        assertError(Format.PREFERENCE, "1: field 'margin': expected a number, got a string",
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": \"big\"}");
        assertError(Format.VERIFIABLE, "1: field 'verifier': unknown verifier 'vibes' (number, choice, exact, regex:PATTERN)",
                "{\"prompt\": \"p\", \"answer\": \"4\", \"verifier\": \"vibes\"}");
        assertError(Format.VERIFIABLE, "1: field 'answer': not a number: 'four'",
                "{\"prompt\": \"p\", \"answer\": \"four\", \"verifier\": \"number\"}");
        assertError(Format.VERIFIABLE, "1: field 'answer': expected one option letter A-Z, got 'AB'",
                "{\"prompt\": \"p\", \"answer\": \"AB\", \"verifier\": \"choice\"}");
        assertError(Format.TEXT, "1: expected a JSON object", "[1, 2]");
        Path empty = file("empty.jsonl", "", "   ");
        BadInputException e = assertThrows(BadInputException.class, () -> Dataset.open(empty, Format.SFT, false));
        assertEquals(empty + ": empty file: no records", e.getMessage());
    }

    /** AI feedback's soft label: P(chosen is better), in [0, 1]; absent is NaN; anything else names the field. */
    @Test
    void preferenceRowsMayCarryASoftLabel() throws Exception {
        Path f = file("prefs.jsonl", "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"label\": 0.8}",
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"margin\": 0.5}",
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"label\": 0, \"margin\": 1}",
                "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"label\": 1}");
        try (Dataset d = Dataset.open(f, Format.PREFERENCE, false)) {
            var soft = (Example.Preference) d.get(0);
            assertEquals(0.8, soft.label());
            assertEquals(0.0, soft.margin());
            assertTrue(soft.hasLabel());
            var none = (Example.Preference) d.get(1);
            assertTrue(Double.isNaN(none.label()) && !none.hasLabel());
            assertEquals(0.5, none.margin());
            assertEquals(0.0, ((Example.Preference) d.get(2)).label());
            assertEquals(1.0, ((Example.Preference) d.get(2)).margin());
            assertEquals(1.0, ((Example.Preference) d.get(3)).label());
        }
        String row = "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\", \"label\": ";
        assertError(Format.PREFERENCE, "1: field 'label': expected a probability in [0, 1], got -0.1", row + "-0.1}");
        assertError(Format.PREFERENCE, "2: field 'label': expected a probability in [0, 1], got 1.5", row + "1}", row + "1.5}");
        assertError(Format.PREFERENCE, "1: field 'label': expected a number, got a string", row + "\"x\"}");
        assertError(Format.PREFERENCE, "1: field 'label': expected a number, got a boolean", row + "true}");
    }

    @Test
    void skipBadLinesCountsThemAndKeepsTheRest() throws Exception {
        Path f = file("mixed.jsonl", OK_SFT, "{broken", "{\"prompt\": \"a\"}", OK_SFT.replace("4", "5"));
        try (Dataset d = Dataset.open(f, Format.SFT, true)) {
            assertEquals(2, d.size());
            assertEquals(2, d.skippedLines().size());
            assertTrue(d.skippedLines().get(1).startsWith(f + ":3: field 'completion'"), d.skippedLines().get(1));
            assertEquals(4, d.lineNumber(1));
            var pc = (Example.PromptCompletion) d.get(1);
            assertEquals("5", pc.completion().text());
        }
    }

    @Test
    void rankingsBecomeScoresAndScoresMayTie() throws Exception {
        Path f = file("r.jsonl", "{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"], \"ranking\": [2, 0, 1]}",
                "{\"prompt\": \"p\", \"responses\": [\"a\", \"b\", \"c\"], \"scores\": [1, 3, 1]}");
        try (Dataset d = Dataset.open(f, Format.RANKED, false)) {
            assertArrayEquals(new double[] {2, 1, 3}, ((Example.Ranked) d.get(0)).scores());
            assertArrayEquals(new double[] {1, 3, 1}, ((Example.Ranked) d.get(1)).scores());
        }
    }

    @Test
    void recordsAreReadLazilyByIndex() throws Exception {
        String[] lines = new String[50];
        for (int i = 0; i < lines.length; i++) lines[i] = "{\"text\": \"line " + i + "\"}";
        try (Dataset d = Dataset.open(file("t.jsonl", lines), Format.TEXT, false)) {
            assertEquals(50, d.size());
            assertEquals("line 42", ((Example.Text) d.get(42)).text());
            assertEquals("line 7", ((Example.Text) d.get(7)).text());
            assertEquals(43, d.lineNumber(42));
        }
    }

    @Test
    void plainTextFilesAreOneRecordPerLine() throws Exception {
        try (Dataset d = Dataset.open(file("corpus.txt", "The capital of France is Paris.", "", "2 + 3 = 5"), Format.TEXT, false)) {
            assertEquals(2, d.size());
            assertEquals("2 + 3 = 5", ((Example.Text) d.get(1)).text());
            assertEquals(3, d.lineNumber(1));
        }
    }
}
