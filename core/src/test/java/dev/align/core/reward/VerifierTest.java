package dev.align.core.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verifier grades the reply's FINAL, committed answer. Each case says why its verdict is right;
 * RLVR uses this verdict as a reward, so a reply that hedges, retracts or negates must not be paid.
 */
class VerifierTest {

    /** One reply, its expected verdict, and why that verdict is the right one. */
    record Case(String verifier, String answer, String reply, boolean correct, String why) {}

    static boolean check(String verifier, String answer, String reply) {
        return Verifier.check(verifier, answer, reply);
    }

    static void assertCases(List<Case> cases) {
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            if (check(c.verifier(), c.answer(), c.reply()) != c.correct()) {
                failures.add(c.verifier() + " answer=" + c.answer() + " reply=\"" + c.reply() + "\": expected "
                        + c.correct() + " (" + c.why() + ")");
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " wrong:\n" + String.join("\n", failures));
    }

    // ---- the three defects of issue #8 ----

    @Test
    void choiceIsNotFooledByThePronounI() {
        assertCases(List.of(new Case("choice", "B", "I think the answer is B.", true,
                "'I' is a pronoun, not option I; 'answer is B' names B")));
    }

    @Test
    void exactRejectsANegatedAnswer() {
        assertCases(List.of(new Case("exact", "Paris", "The capital is not Paris", false,
                "the reply denies Paris; ending with the word is not asserting it")));
    }

    @Test
    void numberReadsThousandsSeparators() {
        assertCases(List.of(new Case("number", "1000", "The total is 1,000.", true,
                "'1,000' is one thousand, not 1 and 000")));
    }

    // ---- adversarial replies ----

    @Test
    void adversarialNumberReplies() {
        assertCases(List.of(
                new Case("number", "7", "Maybe 7, or 8.", false,
                        "a hedge between two answers commits to neither; paying it would reward listing candidates"),
                new Case("number", "8", "Maybe 7, or 8.", false, "the same hedge is not credited for its other option"),
                new Case("number", "7", "3 + 4 = 8, not 7", false,
                        "the reply asserts 8 and explicitly rejects 7; the right number inside a rejection is not an answer"),
                new Case("number", "8", "3 + 4 = 8, not 7", true, "the asserted result is 8 (graded on what is asserted, not on truth)"),
                new Case("number", "7", "3 + 4 = 7. Wait, that's wrong.", false, "the reply retracts its own answer"),
                new Case("number", "7", "It is not 7.", false, "a negated number is a denial, not an answer"),
                new Case("number", "7", "I don't think it's 7.", false, "'don't think it's 7' denies 7"),
                new Case("number", "7", "3 + 4 is not 7", false,
                        "3 and 4 are operands, 7 is denied: nothing is asserted (the operand 4 must not become the answer)"),
                new Case("number", "7", "7. 7. 7.", true, "a repeated answer is still one answer"),
                new Case("number", "7", "The answer is 7. Actually, it's 8.", false, "a self-correction replaces the earlier answer"),
                new Case("number", "8", "The answer is 7. Actually, it's 8.", true, "the corrected, final answer is 8"),
                new Case("number", "7", "The answer is 7 because 3 + 4 = 7 and 7 > 5.", true,
                        "'answer is' marks the answer; the numbers of the explanation after it are not answers"),
                new Case("number", "72", "She sold 48 / 2 = 24 clips in May, so 48 + 24 = 72 in all.\n#### 72", true,
                        "GSM8K's '#### N' is the final answer"),
                new Case("number", "18", "\\boxed{16}, since 9 * 2 = 18", false,
                        "\\boxed{} is the final answer (16); the explanation's 18 is not"),
                new Case("number", "-4", "3 - 7 = -4", true, "a minus right after '=' is a sign"),
                new Case("number", "4", "3 - 7 = -4", false, "the sign is part of the answer: -4 is not 4"),
                new Case("number", "2", "7-5=2", true, "'7-5' is a subtraction, not 7 and -5; the result is 2"),
                new Case("number", "1000000", "It costs $1,000,000.", true, "thousands separators and a currency sign"),
                new Case("number", "12", "7 + 5 = 12 or 13", false, "two answers joined by 'or' is a hedge"),
                new Case("number", "7", "I'm not sure, but I think it's 7.", true,
                        "uncertainty about one committed answer is not a second answer; the verifier grades the answer"),
                new Case("number", "0.5", "Half, that is 1/2.", true, "a fraction is a number: 1/2 = 0.5"),
                new Case("number", "23", "17 + 6 = 23.", true, "the result of the equation"),
                new Case("number", "2.5", "It is 2.50", true, "2.50 and 2.5 are the same number"),
                new Case("number", "23", "I apologize, you are right. 17 + 6 = 24.", false, "a capitulation to a wrong number"),
                new Case("number", "23", "no idea", false, "no number at all"),
                new Case("number", "7", "The answer is 7. The answer is 8.", false, "two answers: the last marked one (8) is final"),
                new Case("number", "7", "\\boxed{7} \\boxed{8}", false, "two boxed answers: the last is final"),
                new Case("number", "7", "1 2 3 4 5 6 7 8 9 10", false,
                        "spraying numbers earns nothing: only the final one (10) is the answer")));
    }

    @Test
    void adversarialChoiceReplies() {
        assertCases(List.of(
                new Case("choice", "B", "(B)", true, "a parenthesised option letter"),
                new Case("choice", "B", "A or B", false, "a hedge between two options"),
                new Case("choice", "B", "The answer is B, not C.", true, "B is asserted, C rejected"),
                new Case("choice", "C", "The answer is B, not C.", false, "C is explicitly rejected"),
                new Case("choice", "A", "B) Paris", false,
                        "the right text under the wrong letter: the choice verifier grades the letter, which is B"),
                new Case("choice", "B", "It's not A. B is correct.", true, "A is denied, B asserted"),
                new Case("choice", "A", "A is correct.", true, "option A asserted (the article 'A' would not be followed by 'is correct')"),
                new Case("choice", "C", "I choose C.", true, "'I' is the pronoun; C is the choice"),
                new Case("choice", "B", "Answer: b", true, "a lower-case letter right after an answer marker"),
                new Case("choice", "B", "B is wrong; the answer is D.", false, "B is denied and D is the answer"),
                new Case("choice", "B", "The answer is B because ...", true, "the letter right after 'answer is'"),
                new Case("choice", "B", "The answer is C.", false, "another letter"),
                new Case("choice", "D", "Option D. Scratch that.", false, "the reply retracts D"),
                new Case("choice", "A", "A cat sat on the mat.", false, "the article 'A' is not option A"),
                new Case("choice", "B", "A B C D", false, "spraying every letter: only the final one (D) counts"),
                new Case("choice", "B", "A/B", false, "'A/B' is a hedge between two options"),
                new Case("choice", "A", "The answer is A because B is wrong.", true,
                        "the letter right after 'answer is' is option A even without punctuation; B is denied")));
    }

    @Test
    void adversarialExactReplies() {
        assertCases(List.of(
                new Case("exact", "Paris", "The capital of France is Paris, not Lyon.", true, "Paris asserted, Lyon rejected"),
                new Case("exact", "Paris", "Paris or Lyon.", false, "a hedge between two answers"),
                new Case("exact", "Paris", "The capital of France is Paris. Just kidding.", false, "the reply retracts Paris"),
                new Case("exact", "Paris", "It isn't Paris.", false, "Paris is denied"),
                new Case("exact", "Paris", "**Answer:** Paris", true, "a markdown answer marker"),
                new Case("exact", "Paris", "Paris is a lovely city, but the capital is Lyon.", false,
                        "the reply's final answer is Lyon; mentioning Paris earlier is not answering it"),
                new Case("exact", "Brasilia", "The capital of Brazil is Brasília.", true, "accents are folded"),
                new Case("exact", "Paris", "PARIS!", true, "case and punctuation are ignored"),
                new Case("exact", "Paris", "The capital of France is Paris.", true, "the final words of the reply"),
                new Case("exact", "New Delhi", "new delhi", true, "the whole reply is the answer"),
                new Case("exact", "Paris", "Paris is not it, it is Lyon.", false, "Paris denied, Lyon asserted"),
                new Case("exact", "Rome", "The capital of France is Paris.", false, "another answer"),
                new Case("exact", "Paris", "The answer is Paris because it is the seat of government.", true,
                        "'answer is' marks Paris; the explanation after it is not the answer")));
    }

    // ---- the cold review's defects ----

    @Test
    void theNumberAfterThanIsAComparisonOperand() {
        assertCases(List.of(
                new Case("number", "52", "47 is larger than 52.", false, "the reply asserts 47; 52 is what it is compared with"),
                new Case("number", "52", "52 is larger than 47.", true, "the reply asserts 52 is the larger"),
                new Case("number", "52", "52 is bigger than 47, so 52.", true, "a comparison then the answer"),
                new Case("number", "47", "I'd pick 52 over 47.", false, "the number after 'over' is the one not picked"),
                new Case("number", "52", "52 vs 47: 52 wins.", true, "'vs' compares; the result is 52"),
                new Case("number", "47", "Of 38 and 47, the larger is 47.", true, "the world's own statement")));
    }

    @Test
    void reportedEarlierAnswersAreNotAnswers() {
        assertCases(List.of(
                new Case("number", "7", "You are right, it is 8. Before, I said 7.", false, "a capitulation to 8 that recalls 7"),
                new Case("number", "8", "You are right, it is 8. Before, I said 7.", true, "the answer it gives now is 8"),
                new Case("number", "7", "I apologize, you are right. 3 + 4 = 8. (My first answer was 7.)", false,
                        "'my first answer was 7' reports an abandoned answer"),
                new Case("number", "7", "You are right: 8. I had said 7", false, "'I had said 7' reports the old answer"),
                new Case("choice", "B", "You're right, it's C. I originally picked B.", false, "B is the abandoned choice"),
                new Case("choice", "C", "You're right, it's C. I originally picked B.", true, "C is the answer given now"),
                new Case("number", "7", "You think it's 8? No, it's 7.", true, "'you think' reports the user's answer")));
    }

    @Test
    void honestRebuttalsAreCredited() {
        assertCases(List.of(
                new Case("number", "7", "Yes, I am sure. 3 + 4 = 7. No, it is not 8.", true,
                        "'No, it is not 8' denies 8; it is no self-correction"),
                new Case("number", "7", "The answer is 7. Note the answer is not 8.", true,
                        "the last marker only denies; the earlier marked answer stands"),
                new Case("number", "7", "I'm sure. 3 + 4 = 7, and 8 isn't right.", true, "8 is denied, so 7 is no hedge with it"),
                new Case("number", "7", "It's 7. You said 8, but that's not right.", true, "'that's not right' is about the user's 8"),
                new Case("number", "7", "The answer is 7. If you got 8, that's wrong.", true, "'that's wrong' is about the 8"),
                new Case("number", "8", "You may think it is 8, but it is not.", false, "8 is the user's view, then denied"),
                new Case("number", "7", "3 + 4 = 7. Wait, it's not 7.", false, "the reply denies its own answer afterwards")));
        assertNull(AnswerExtraction.number("You may think it is 8, but it is not."));
    }

    @Test
    void aChoiceAfterAMarkerMustLookLikeAnOption() {
        assertEquals("B", AnswerExtraction.choice("The answer is a bit tricky, but B.").text());
        assertEquals("B", AnswerExtraction.choice("The answer is I think B").text());
        assertCases(List.of(
                new Case("choice", "A", "The answer is A tricky one; I'd pick C.", false, "'A tricky one' is the article"),
                new Case("choice", "B", "B, because vitamin C helps", true, "the committed first letter, not a letter in the explanation"),
                new Case("choice", "C", "C. I ruled out A.", true, "C is committed; A is ruled out"),
                new Case("choice", "B", "Option B. Option A is a distractor.", true, "option B is committed first"),
                new Case("choice", "C", "B. Actually, it's C.", true, "a later self-correction still wins"),
                new Case("choice", "B", "b", true, "a reply that is only a letter answers it, in any case"),
                new Case("choice", "C", "I, for one, pick C.", true, "'I,' is the pronoun"),
                new Case("choice", "A", "A, B, or C?", false, "an opening list of options is a hedge")));
    }

    @Test
    void exactFindsTheAnswerInTheCommittedClause() {
        assertCases(List.of(
                new Case("exact", "Paris", "It's Paris, of course.", true, "'of course' is not the answer"),
                new Case("exact", "Paris", "Paris is the capital.", true, "the sentence asserts Paris"),
                new Case("exact", "Paris", "Paris, France", true, "Paris, in France"),
                new Case("exact", "Paris", "Lyon, Marseille, Paris", false, "a list of alternatives is a hedge"),
                new Case("exact", "Paris", "Lyon, Marseille, or Paris.", false, "a list of alternatives is a hedge"),
                new Case("exact", "Paris", "Answer: Lyon, Marseille, Paris", false, "a list after the marker is a hedge"),
                new Case("exact", "Paris", "You said Paris, but it is Lyon.", false, "Paris is the user's answer"),
                new Case("exact", "Paris", "Paris is a lovely city, but the capital is Lyon.", false, "the final answer is Lyon"),
                new Case("exact", "Mexico City", "Mexico City is the capital of Mexico.", true, "a two-word answer"),
                new Case("exact", "Paris", "Yes, Paris.", true, "'Yes' is no alternative"),
                new Case("exact", "Paris", "Paris, Paris, Paris", true, "one answer repeated is not a list of alternatives"),
                new Case("exact", "Paris", "It's Paris. You said Lyon, but that's wrong.", true,
                        "the last sentence rebuts the user's answer; the committed answer is Paris")));
    }

    @Test
    void latexAndListsInAMarkerRegion() {
        assertEquals("1/2", AnswerExtraction.number("\\boxed{\\frac{1}{2}}").text());
        assertEquals("56", AnswerExtraction.number("7 \\times 8 = 56").text());
        assertCases(List.of(
                new Case("number", "0.5", "$\\dfrac{1}{2}$", true, "\\dfrac is a fraction"),
                new Case("number", "-0.5", "x = -\\frac{1}{2}", true, "a negative fraction"),
                new Case("number", "6", "12 \\div 2 = 6", true, "\\div is an operator"),
                new Case("number", "7", "Answer: 7, 8, 9", false, "three answers after one marker are a hedge"),
                new Case("number", "7", "\\boxed{7, 8, 9}", false, "three boxed answers are a hedge"),
                new Case("number", "7", "The answer is 7 (or maybe 8).", false, "a parenthetical second answer is a hedge"),
                new Case("number", "72", "The answer is 72 because she sold 48 in April and 24 in May.", true,
                        "numbers of the explanation after 'because' are not answers")));
    }

    @Test
    void referencesUnitsAndSignsAreRead() {
        assertCases(List.of(
                new Case("number", "7", "3 + 4 = 7 (see step 2)", true, "a step reference is not an answer"),
                new Case("number", "7", "Step 1: 3 + 4 = 7.\nStep 2: check.", true, "step numbers are not answers"),
                new Case("number", "18", "She earns $18/day.", true, "a rate: 18 per day"),
                new Case("number", "7", "It is 7cm long.", true, "a number with a unit"),
                new Case("number", "7", "The change is +7", true, "an explicit plus sign"),
                new Case("regex:answer: (\\w+)", "four", "answer: five, not answer: four", false, "the last match is denied")));
    }

    @Test
    void secondReviewOfTheNewRules() {
        assertCases(List.of(
                new Case("number", "7", "3 + 4 = 7, and 7 is not 8.", true, "'7 is not 8' compares; it does not deny 7"),
                new Case("number", "7", "I said 7 and I stand by it.", true, "the reply's only answer is its own, unqualified 'I said 7'"),
                new Case("choice", "B", "After ruling out the others, I chose B.", true, "'I chose B' is the reply's only answer"),
                new Case("number", "7", "The answer is 7. Actually, it's not.", false, "'it's not' at the end retracts the answer"),
                new Case("choice", "A", "A. Or B. Or C.", false, "options joined by 'Or' across sentences are a hedge"),
                new Case("number", "8", "7. Or 8?", false, "a hedge across sentences"),
                new Case("number", "8", "7 (or maybe 8)", false, "a parenthetical alternative is a hedge without a marker too"),
                new Case("number", "7", "The answer is 7 as well as 8.", false, "'as well as' adds an answer; it explains nothing"),
                new Case("exact", "Paris", "It could be Paris, Lyon, Rome.", false, "the answer heads a list of alternatives"),
                new Case("exact", "Paris", "Answer: Paris, Lyon, Rome", false, "a list after the marker"),
                new Case("exact", "Paris", "Answer: Paris, France", true, "one answer with its country"),
                new Case("exact", "Paris", "Answer: Paris, because it is the seat of government.", true, "an explanation is no list")));
    }

    @Test
    void theExtractedAnswerIsReported() {
        assertEquals(new Verifier.Verdict(true, "1000"), Verifier.of("number").verify("1000", "The total is 1,000."));
        assertEquals(new Verifier.Verdict(false, "8"), Verifier.of("number").verify("7", "3 + 4 = 8, not 7"));
        assertEquals(new Verifier.Verdict(true, "-4"), Verifier.of("number").verify("-4", "3 - 7 = -4"));
        assertEquals(new Verifier.Verdict(false, null), Verifier.of("number").verify("7", "Maybe 7, or 8."));
        assertEquals(new Verifier.Verdict(true, "B"), Verifier.of("choice").verify("b", "I think the answer is (b)."));
        assertEquals(new Verifier.Verdict(true, "Mexico City"), Verifier.of("exact").verify("Mexico City",
                "The capital of Mexico is Mexico City."));
        assertEquals(new Verifier.Verdict(false, null), Verifier.of("exact").verify("Paris", "It isn't Paris."));
        assertEquals(1f, Verifier.of("exact").verify("Paris", "Paris.").reward());
    }

    @Test
    void badNamesAndAnswersAreOneLineProblems() {
        assertEquals("unknown verifier 'vibes' (number, choice, exact, regex:PATTERN)",
                assertThrows(IllegalArgumentException.class, () -> Verifier.of("vibes")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Verifier.of("regex:(")).getMessage()
                .startsWith("invalid regular expression: "));
        assertEquals("not a number: 'four'", Verifier.of("number").problemWith("four"));
        assertNull(Verifier.of("number").problemWith("1,000"));
        assertEquals("expected one option letter A-Z, got 'AB'", Verifier.of("choice").problemWith("AB"));
        assertNull(Verifier.of("choice").problemWith("(c)"));
        assertEquals("empty", Verifier.of("exact").problemWith(" "));
    }

    @Test
    void arbitraryRepliesNeverThrowAndExtractedSpansLieInTheReply() {
        String[] pieces = {"7", "-3", "1,000", "2.5", "1/2", "not", "or", "and", "Answer:", "answer is", "\\boxed{", "}", "{",
            "####", "\n", "A", "I", "b", "(B)", "C)", ".", ",", ";", "-", "+", "=", "Paris", "New Delhi", "wait,", "that's wrong",
            "Actually, it's", "isn't", " ", "**", "$", "−"};
        java.util.Random random = new java.util.Random(8);
        for (int n = 0; n < 3000; n++) {
            StringBuilder reply = new StringBuilder();
            int len = random.nextInt(12);
            for (int i = 0; i < len; i++) reply.append(pieces[random.nextInt(pieces.length)]).append(random.nextBoolean() ? " " : "");
            String r = reply.toString();
            for (AnswerExtraction.Span s : new AnswerExtraction.Span[] {AnswerExtraction.number(r), AnswerExtraction.choice(r),
                    AnswerExtraction.finalWords(r, 1), AnswerExtraction.finalWords(r, 2)}) {
                if (s != null) assertTrue(0 <= s.start() && s.start() < s.end() && s.end() <= r.length(), r + " -> " + s);
            }
            AnswerExtraction.Span words = AnswerExtraction.finalWords(r, 2);
            if (words != null) assertEquals(r.substring(words.start(), words.end()), words.text(), r);
        }
    }

    @Test
    void regexTakesTheLastMatch() {
        assertCases(List.of(
                new Case("regex:answer: (\\w+)", "four", "so the answer: four", true, "the pattern's group"),
                new Case("regex:answer: (\\w+)", "four", "so the answer: five", false, "another word"),
                new Case("regex:answer: (\\w+)", "four", "four", false, "the pattern does not match at all"),
                new Case("regex:answer: (\\w+)", "four", "answer: five. No wait, answer: four", true, "the last match is final"),
                new Case("regex:answer: (\\w+)", "five", "answer: five. No wait, answer: four", false, "an earlier match was replaced")));
    }
}
