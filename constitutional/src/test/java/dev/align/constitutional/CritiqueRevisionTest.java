package dev.align.constitutional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.ReplySettings;
import dev.align.core.io.Json;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.datasets.constitution.Constitution;
import dev.align.datasets.constitution.CritiqueExample;
import dev.align.datasets.constitution.Principle;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CritiqueRevisionTest {
    @TempDir Path tmp;

    static Principle principle(String id, int examples) {
        List<CritiqueExample> ex = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            ex.add(new CritiqueExample(List.of(new Message("user", "ex" + i)), "ex-response", "ex-critique", "ex-revision"));
        }
        return new Principle(id, "CRITIQUE-" + id, "REVISE-" + id, "Which is better (" + id + ")?", ex, List.of());
    }

    /**
     * Answers a critique request with "flagged: RESPONSE" and a revision request with "fixed N" (N counting its
     * revisions), anything else with a numbered response; a conversation of more than {@code maxTurns} turns is too
     * long, so only one demonstration (6 turns) fits beside a 1-turn prompt's critique (3 turns) and revision (5).
     */
    static final class ScriptedPolicy implements InferenceModel {
        final int maxTurns;
        final List<List<Message>> seen = new ArrayList<>();
        int revisions;

        ScriptedPolicy(int maxTurns) {
            this.maxTurns = maxTurns;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
            List<Reply> out = new ArrayList<>();
            for (List<Message> c : conversations) {
                seen.add(c);
                String last = c.get(c.size() - 1).content();
                if (c.size() > maxTurns) out.add(new Reply("", Reply.TOO_LONG));
                else if (last.startsWith("CRITIQUE-")) out.add(new Reply(" flagged: " + c.get(c.size() - 2).content() + " ", "stop"));
                else if (last.startsWith("REVISE-")) out.add(new Reply("fixed " + (++revisions) + ": 2 + 2 = 4.", "stop"));
                else out.add(new Reply("seed " + Math.floorMod(settings.seed(), 1000) + ": 2 + 2 = 5.", "stop"));
            }
            return out;
        }

        @Override
        public List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
            return java.util.Optional.empty();
        }

        @Override
        public void close() {}
    }

    static List<PromptRow> rows(int n) {
        List<PromptRow> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var columns = Json.MAPPER.createObjectNode().put("answer", "4").put("verifier", "number").put("kind", "plain");
            rows.add(new PromptRow(i + 1, List.of(new Message("user", "What is 2 + 2? (" + i + ")")), columns, null, null));
        }
        return rows;
    }

    @Test
    void roundsCritiqueTheLatestRevisionWithAsManyDemonstrationsAsFit() {
        Constitution c = new Constitution("test", "test.yaml", List.of(principle("a", 2), principle("b", 2)));
        ScriptedPolicy policy = new ScriptedPolicy(3 + 6 + 2); // one demonstration fits the revision request, two do not
        CritiqueConfig config = new CritiqueConfig(new ResponseSampling(7, 1.0, 1.0, 32), 0.0, 2, -1, List.of());
        CritiqueRevision.Result result = CritiqueRevision.run(policy, c, rows(20), config, new PrintWriter(new StringWriter()));
        assertEquals(20, result.revised().size());
        Set<String> firstPrinciples = new HashSet<>();
        for (CritiqueRevision.Revised r : result.revised()) {
            assertEquals(2, r.critiques().size());
            assertEquals(2, r.revisions().size());
            assertEquals(1, r.fewShot());
            assertTrue(r.critiques().get(0).startsWith("flagged: seed "), r.critiques().get(0)); // stripped, of the original
            assertEquals("flagged: " + r.revisions().get(0), r.critiques().get(1)); // round 2 critiques round 1's revision
            assertEquals(r.revisions().get(1), r.last());
            firstPrinciples.add(r.principles().get(0));
        }
        assertEquals(Set.of("a", "b"), firstPrinciples); // drawn per row
        // the same seed draws the same principles and responses
        CritiqueRevision.Result again = CritiqueRevision.run(new ScriptedPolicy(11), c, rows(20), config, new PrintWriter(new StringWriter()));
        for (int i = 0; i < 20; i++) {
            assertEquals(result.revised().get(i).principles(), again.revised().get(i).principles());
            assertEquals(result.revised().get(i).original(), again.revised().get(i).original());
        }
        CritiqueRevision.Result otherSeed = CritiqueRevision.run(new ScriptedPolicy(11), c, rows(20),
                new CritiqueConfig(new ResponseSampling(8, 1.0, 1.0, 32), 0.0, 2, -1, List.of()), new PrintWriter(new StringWriter()));
        assertNotEquals(result.revised().get(0).original(), otherSeed.revised().get(0).original());
    }

    @Test
    void writesSftRowsWithEveryStepAndCountsFixedAnswers() throws Exception {
        Constitution c = new Constitution("test", "test.yaml", List.of(principle("a", 0)));
        CritiqueConfig config = new CritiqueConfig(new ResponseSampling(1, 1.0, 1.0, 32), 0.0, 1, 0, List.of("a"));
        CritiqueRevision.Result result = CritiqueRevision.run(new ScriptedPolicy(100), c, rows(3), config, new PrintWriter(new StringWriter()));
        Path out = tmp.resolve("sl");
        Map<String, Object> summary = CritiqueRevision.write(out, result, c, config, Map.of("command", "cai sl"));
        List<String> lines = Files.readAllLines(out.resolve(CritiqueRevision.REVISIONS));
        assertEquals(3, lines.size());
        JsonNode row = Json.MAPPER.readTree(lines.get(0));
        assertEquals("user", row.get("prompt").get(0).get("role").asText());
        assertEquals("assistant", row.get("completion").get(0).get("role").asText());
        assertTrue(row.get("completion").get(0).get("content").asText().startsWith("fixed "));
        assertTrue(row.get("original").asText().endsWith("2 + 2 = 5."));
        assertEquals("a", row.get("principles").get(0).asText());
        assertEquals(1, row.get("critiques").size());
        assertEquals("4", row.get("answer").asText()); // the input's columns travel along
        assertEquals(dev.align.datasets.Format.SFT, dev.align.datasets.Format.of(out.resolve(CritiqueRevision.REVISIONS),
                dev.align.datasets.Format.SFT)); // align sft reads it as it is
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) summary.get("verifiable");
        assertEquals(0.0, (double) v.get("original_correct"));
        assertEquals(1.0, (double) v.get("revision_correct"));
        assertEquals(3, v.get("fixed"));
        JsonNode written = Json.MAPPER.readTree(out.resolve(CritiqueRevision.SUMMARY).toFile());
        assertEquals("cai sl", written.get("command").asText());
    }

    @Test
    void aPromptTooLongEvenWithoutDemonstrationsIsCountedNotRevised() {
        Constitution c = new Constitution("test", "test.yaml", List.of(principle("a", 1)));
        CritiqueConfig config = new CritiqueConfig(new ResponseSampling(1, 1.0, 1.0, 32), 0.0, 1, -1, List.of());
        // 4 turns: the response fits, the critique request (3 turns) fits, the revision request (5) does not
        CritiqueRevision.Result result = CritiqueRevision.run(new ScriptedPolicy(4), c, rows(2), config, new PrintWriter(new StringWriter()));
        for (CritiqueRevision.Revised r : result.revised()) {
            assertEquals("too_long", r.stopped());
            assertEquals(1, r.critiques().size());
            assertEquals(0, r.revisions().size());
            assertEquals(r.original(), r.last());
            assertEquals(0, r.fewShot());
        }
    }
}
