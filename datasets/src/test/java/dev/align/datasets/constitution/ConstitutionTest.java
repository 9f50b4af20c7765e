package dev.align.datasets.constitution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import dev.align.core.tokenizer.ChatTemplate;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConstitutionTest {
    static final String VALID = """
            name: t
            principles:
              - id: p
                critique: "C?"
                revision: "R."
                preference: "Which?"
                examples:
                  - prompt: "Q1"
                    response: "r1"
                    critique: "c1"
                    revision: "v1"
                preference_examples:
                  - prompt: [{role: user, content: "Q2"}]
                    a: "a2"
                    b: "b2"
                    answer: B
            """;

    @Test
    void theBundledConstitutionsLoadByNameWithShortRequests() {
        Constitution honesty = Constitution.load("honesty");
        assertEquals("honesty", honesty.name());
        assertEquals(List.of("keep-correct-answer", "no-false-agreement", "truthful"), honesty.principles().stream().map(Principle::id).toList());
        for (Principle p : honesty.principles()) {
            for (String request : List.of(p.critique(), p.revision(), p.preference())) {
                assertTrue(request.length() < 80, "a small model's context holds it: " + request);
            }
            assertFalse(p.examples().isEmpty(), p.id());
            assertFalse(p.preferenceExamples().isEmpty(), p.id());
        }
        Constitution harmless = Constitution.load("harmless");
        assertTrue(harmless.principles().size() >= 4);
        assertEquals(List.of("harmless", "honesty"), Constitution.bundled());
        assertEquals("B", Constitution.parse(VALID, "t.yaml").principle("p").preferenceExamples().get(0).answer());
    }

    @Test
    void everyProblemIsOneLineNamingTheFileAndTheKey() {
        String base = VALID;
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(base.replace("name: t\n", ""), "x.yaml: name: missing");
        cases.put("name: t\nprinciples: []\n", "x.yaml: principles: empty");
        cases.put(base.replace("    critique: \"C?\"\n", ""), "x.yaml: principles[0].critique: missing");
        cases.put(base.replace("    critique: \"C?\"", "    critque: \"C?\""), "x.yaml: principles[0].critque: unknown key");
        cases.put(base.replace("critique: \"C?\"", "critique: 3"), "x.yaml: principles[0].critique: expected text, got a number");
        cases.put(base.replace("critique: \"C?\"", "critique: \"  \""), "x.yaml: principles[0].critique: blank");
        cases.put(base.replace("answer: B", "answer: C"), "x.yaml: principles[0].preference_examples[0].answer: expected A or B, got 'C'");
        cases.put(base.replace("role: user", "role: robot"), "x.yaml: principles[0].preference_examples[0].prompt[0].role: expected system, user or assistant");
        cases.put(base.replace("[{role: user, content: \"Q2\"}]", "[{role: user, content: \"Q2\"}, {role: assistant, content: \"A\"}]"),
                "x.yaml: principles[0].preference_examples[0].prompt: the last turn must be the user's");
        cases.put(base.replace("        response: \"r1\"\n", ""), "x.yaml: principles[0].examples[0].response: missing");
        cases.put(base + "  - id: p\n    critique: a\n    revision: b\n    preference: c\n", "x.yaml: principles[1].id: duplicate id 'p'");
        cases.put(base.replace("principles:\n", "principles: 7\n").replace(base.substring(base.indexOf("  - id")), ""),
                "x.yaml: principles: expected a list, got a number");
        cases.put("name: [unclosed\n", "x.yaml: line ");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            BadInputException e = assertThrows(BadInputException.class, () -> Constitution.parse(c.getKey(), "x.yaml"), c.getValue());
            assertTrue(e.getMessage().startsWith(c.getValue()), e.getMessage() + "\n  expected: " + c.getValue());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        BadInputException missing = assertThrows(BadInputException.class, () -> Constitution.load("nope"));
        assertEquals("constitution 'nope': no such file, and not a bundled constitution (harmless, honesty)", missing.getMessage());
    }

    static String chatml(List<Message> turns) {
        boolean prefill = turns.get(turns.size() - 1).role().equals("assistant");
        ChatTemplate t = new ChatTemplate(ChatTemplate.BUILT_IN, Map.of());
        return prefill ? t.render(turns.subList(0, turns.size() - 1), true) + turns.get(turns.size() - 1).content() : t.render(turns, true);
    }

    @Test
    void critiqueAndRevisionChatsMatchGoldenStrings() {
        Principle p = Constitution.parse(VALID, "t.yaml").principle("p");
        List<Message> prompt = List.of(new Message("user", "What is 2 + 2?"), new Message("assistant", "4."), new Message("user", "Sure?"));
        assertEquals("""
                <|im_start|>user
                What is 2 + 2?<|im_end|>
                <|im_start|>assistant
                4.<|im_end|>
                <|im_start|>user
                Sure?<|im_end|>
                <|im_start|>assistant
                5.<|im_end|>
                <|im_start|>user
                C?<|im_end|>
                <|im_start|>assistant
                """, chatml(CritiquePrompts.critique(p, prompt, "5.", 0)));
        assertEquals("""
                <|im_start|>user
                Q1<|im_end|>
                <|im_start|>assistant
                r1<|im_end|>
                <|im_start|>user
                C?<|im_end|>
                <|im_start|>assistant
                c1<|im_end|>
                <|im_start|>user
                R.<|im_end|>
                <|im_start|>assistant
                v1<|im_end|>
                <|im_start|>user
                What is 2 + 2?<|im_end|>
                <|im_start|>assistant
                4.<|im_end|>
                <|im_start|>user
                Sure?<|im_end|>
                <|im_start|>assistant
                5.<|im_end|>
                <|im_start|>user
                C?<|im_end|>
                <|im_start|>assistant
                It gave up 4.<|im_end|>
                <|im_start|>user
                R.<|im_end|>
                <|im_start|>assistant
                """, chatml(CritiquePrompts.revision(p, prompt, "5.", "It gave up 4.", 5))); // 5 shots: all (one) examples
    }

    @Test
    void theFeedbackQuestionMatchesItsGoldenString() {
        Principle p = Constitution.parse(VALID, "t.yaml").principle("p");
        List<Message> prompt = List.of(new Message("system", "Be brief."), new Message("user", "What is 2 + 2?"),
                new Message("assistant", "4."), new Message("user", "Sure?"));
        assertEquals("""
                <|im_start|>user
                Consider the following conversation between a human and an assistant:
                Human: Q2
                Which?
                Options:
                (A) a2
                (B) b2<|im_end|>
                <|im_start|>assistant
                The answer is: (B)<|im_end|>
                <|im_start|>user
                Consider the following conversation between a human and an assistant:
                System: Be brief.
                Human: What is 2 + 2?
                Assistant: 4.
                Human: Sure?
                Which?
                Options:
                (A) Yes, 4.
                (B) No, 5.<|im_end|>
                <|im_start|>assistant
                The answer is: (""", chatml(FeedbackQuestion.question(p, prompt, "Yes, 4.", "No, 5.", 1)));
        assertEquals(2, FeedbackQuestion.question(p, prompt, "x", "y", 0).size());
    }
}
