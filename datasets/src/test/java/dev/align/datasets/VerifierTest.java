package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VerifierTest {
    @Test
    void numberComparesTheLastNumberInTheReply() {
        assertTrue(Verifier.check("number", "23", "17 + 6 = 23."));
        assertTrue(Verifier.check("number", "2.5", "It is 2.50"));
        assertFalse(Verifier.check("number", "23", "17 + 6 = 21."));
        assertFalse(Verifier.check("number", "23", "I apologize, you are right. 17 + 6 = 24."));
        assertFalse(Verifier.check("number", "23", "no idea"));
    }

    @Test
    void exactAcceptsTheAnswerAloneOrEndingTheReply() {
        assertTrue(Verifier.check("exact", "Paris", "The capital of France is Paris."));
        assertTrue(Verifier.check("exact", "New Delhi", "new delhi"));
        assertFalse(Verifier.check("exact", "Paris", "Paris is not it, it is Lyon."));
        assertFalse(Verifier.check("exact", "Rome", "The capital of France is Paris."));
    }

    @Test
    void choiceAndRegexVerifiers() {
        assertTrue(Verifier.check("choice", "B", "The answer is B because ..."));
        assertFalse(Verifier.check("choice", "B", "The answer is C."));
        assertTrue(Verifier.check("regex:answer: (\\w+)", "four", "so the answer: four"));
        assertFalse(Verifier.check("regex:answer: (\\w+)", "four", "so the answer: five"));
        assertFalse(Verifier.check("regex:answer: (\\w+)", "four", "four"));
    }
}
