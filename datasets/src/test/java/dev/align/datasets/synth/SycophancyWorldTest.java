package dev.align.datasets.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import dev.align.core.reward.Verifier;
import dev.align.datasets.Dataset;
import dev.align.datasets.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static java.nio.charset.StandardCharsets.UTF_8;

class SycophancyWorldTest {
    @TempDir static Path tmp;
    static Path world;

    @BeforeAll
    static void write() {
        world = tmp.resolve("world");
        new SycophancyWorld(SycophancyWorld.Config.defaults(3)).write(world);
    }

    static List<JsonNode> rows(String file) throws Exception {
        return Files.readAllLines(world.resolve(file)).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    @Test
    void sameSeedWritesByteIdenticalFiles() throws Exception {
        Path again = tmp.resolve("again");
        new SycophancyWorld(SycophancyWorld.Config.defaults(3)).write(again);
        for (String f : List.of("pretrain.txt", "sft.jsonl", "preferences.jsonl", "rankings.jsonl", "verifiable.jsonl",
                "sycophancy-eval.jsonl", "rankings-eval.jsonl", "honesty-pairs-eval.jsonl", "reply-labels.jsonl", "verifiable-eval.jsonl", "cai-demos.jsonl", "README.md")) {
            assertArrayEquals(Files.readAllBytes(world.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
        Path other = tmp.resolve("other");
        new SycophancyWorld(SycophancyWorld.Config.defaults(4)).write(other);
        assertFalse(Files.readString(world.resolve("sft.jsonl")).equals(Files.readString(other.resolve("sft.jsonl"))));
    }

    @Test
    void everyFileParsesInItsTrlFormat() throws Exception {
        for (var e : List.of(new Object[] {"pretrain.txt", Format.TEXT}, new Object[] {"sft.jsonl", Format.SFT},
                new Object[] {"preferences.jsonl", Format.PREFERENCE}, new Object[] {"rankings.jsonl", Format.RANKED},
                new Object[] {"verifiable.jsonl", Format.VERIFIABLE}, new Object[] {"sycophancy-eval.jsonl", Format.VERIFIABLE},
                new Object[] {"verifiable-eval.jsonl", Format.VERIFIABLE},
                new Object[] {"rankings-eval.jsonl", Format.RANKED}, new Object[] {"honesty-pairs-eval.jsonl", Format.PREFERENCE})) {
            try (Dataset d = Dataset.open(world.resolve((String) e[0]), (Format) e[1], false)) {
                assertTrue(d.size() >= 50, e[0] + " has " + d.size());
                assertEquals(e[1], Format.of(world.resolve((String) e[0]), Format.values()), e[0] + "'s columns");
            }
        }
        // Held-out rankings give the raters' noise-free utilities: the two wrong plain answers tie.
        for (JsonNode r : rows("rankings-eval.jsonl")) {
            assertFalse(r.has("ranking"));
            if (r.get("kind").asText().equals("plain")) {
                assertEquals(r.get("scores").get(1).asDouble(), r.get("scores").get(2).asDouble(), r.toString());
            }
        }
        for (JsonNode r : rows("honesty-pairs-eval.jsonl")) assertTrue(r.get("chosen_is_correct").asBoolean());
    }

    /** SHA-256 of every other file at seed 3, written by the world before cai-demos.jsonl existed (commit af1cd4d). */
    static final Map<String, String> BEFORE = Map.ofEntries(
            Map.entry("honesty-pairs-eval.jsonl", "ff7781eb1e44a50c440bdd0a2fad738ba0ae465ab07291b96f234e08bfb5547f"),
            Map.entry("preferences-eval.jsonl", "69b433521bd88bf2bf562c5c3e489281d5ea696ebbfcabe292c024af5d919e35"),
            Map.entry("preferences.jsonl", "fe35c10f9a352821cbcb556da2be05587b57a70bb2a1d49ac91c3239742fbb55"),
            Map.entry("pretrain.txt", "8ea26cfa29966628ee677c104b3b20cf42864fcb492798b991a7c9d6a39e9d7c"),
            Map.entry("rankings-eval.jsonl", "9455a236e89ca20a88d9e26eab5245f4da87c5ffb03b269da2f4742d87b4c3b1"),
            Map.entry("rankings.jsonl", "a11896452639d2a269d8f0547a73f70dfad0af1a27869e8746fe641257bacda0"),
            Map.entry("reply-labels.jsonl", "fe2c0a3794efdba553480b386155cd4ef6afff2b7a7bd9efb79442666f9e387b"),
            Map.entry("sft.jsonl", "230d8a23738d1d474fbfb466017f6d3db90f39950d0be3896991b86f71152cc8"),
            Map.entry("sycophancy-eval.jsonl", "fbffeb170d82b4bc1fbdc8e27e9b0cc07a9b900d74ebf742bae0df66b58d55ec"),
            Map.entry("verifiable-eval.jsonl", "b975ac22373d1104bfe28b2bf9cc79fd3c6d53d08b060b6a58cc2d26a6b5e04b"),
            Map.entry("verifiable.jsonl", "7b2aab30b3153acbd4f6da4dd65a91d1e8d1cc3d9e40503f7abad0bfa9183bc1"));

    @Test
    void addingTheDemosLeftEveryOtherFileAsItWas() throws Exception {
        for (Map.Entry<String, String> e : BEFORE.entrySet()) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(world.resolve(e.getKey())));
            assertEquals(e.getValue(), java.util.HexFormat.of().formatHex(digest), e.getKey());
        }
    }

    /**
     * cai-demos.jsonl: SFT rows in align cai's own layout with the bundled honesty constitution's requests; the
     * critique flags exactly the sycophantic responses and names the truth, the revision is the honest reply, the
     * feedback answer points at the honest reply with A and B balanced, and every row leaves room in 512 positions.
     */
    @Test
    void caiDemosShowCritiqueRevisionAndFeedbackInTheConstitutionsOwnWords() throws Exception {
        Path file = world.resolve("cai-demos.jsonl");
        assertEquals(Format.SFT, Format.of(file, Format.values()));
        dev.align.datasets.constitution.Constitution honesty = dev.align.datasets.constitution.Constitution.load("honesty");
        java.util.Map<String, Integer> stages = new java.util.TreeMap<>();
        int honestFirst = 0, preferences = 0;
        for (JsonNode r : rows("cai-demos.jsonl")) {
            String stage = r.get("stage").asText(), completion = r.get("completion").get(0).get("content").asText();
            stages.merge(stage, 1, Integer::sum);
            JsonNode prompt = r.get("prompt");
            String last = prompt.get(prompt.size() - 1).get("content").asText();
            var principle = honesty.principle(r.get("principle").asText());
            int tokens = 1 + "assistant\n".length(); // ChatML with a byte-level vocabulary: the generation prompt, then each turn
            for (JsonNode m : prompt) tokens += 1 + m.get("role").asText().length() + 1 + m.get("content").asText().getBytes(UTF_8).length + 2;
            assertTrue(tokens + 80 <= 512, "the request fits 512 positions with 80 new tokens: " + tokens + " " + r);
            switch (stage) {
                case "critique" -> {
                    assertEquals(principle.critique(), last);
                    boolean flagged = !completion.endsWith("Nothing to fix.");
                    assertEquals(!r.get("response_honest").asBoolean(), flagged, r.toString());
                }
                case "revision" -> {
                    assertEquals(principle.revision(), last);
                    String critique = prompt.get(prompt.size() - 2).get("content").asText();
                    var truth = java.util.regex.Pattern.compile("correct answer(?:,| is) ([^,;]+?)[,.;]").matcher(critique);
                    assertTrue(truth.find(), critique);
                    assertTrue(completion.contains(truth.group(1)), "the revision states the truth the critique named: " + r);
                }
                default -> {
                    preferences++;
                    assertTrue(last.startsWith("Consider the following conversation between a human and an assistant:\n"), last);
                    assertTrue(last.contains("\n" + principle.preference() + "\nOptions:\n(A) "), last);
                    boolean first = r.get("honest_first").asBoolean();
                    if (first) honestFirst++;
                    assertEquals(dev.align.datasets.constitution.FeedbackQuestion.PREFILL + (first ? "A" : "B") + ")", completion);
                }
            }
        }
        int n = stages.get("critique");
        assertEquals(java.util.Map.of("critique", n, "preference", n, "revision", n), stages);
        assertEquals(n, 3 * rows("verifiable.jsonl").size() / 3, "one demonstration of each stage per train fact and kind");
        assertTrue(Math.abs(honestFirst / (double) preferences - 0.5) < 0.05, "A and B balanced: " + honestFirst + " of " + preferences);
    }

    @Test
    void evalFactsAndHeldOutTemplatesNeverAppearInTrainingFiles() throws Exception {
        Set<String> evalQuestions = new HashSet<>();
        for (JsonNode r : rows("sycophancy-eval.jsonl")) {
            if (r.get("kind").asText().equals("plain") && r.get("split").asText().equals("eval")) {
                evalQuestions.add(r.get("prompt").get(0).get("content").asText());
            }
        }
        assertTrue(evalQuestions.size() > 40, "eval facts: " + evalQuestions.size());
        List<String> heldOut = List.of(SycophancyWorld.ARE_YOU_SURE.get(6), SycophancyWorld.ARE_YOU_SURE.get(7),
                SycophancyWorld.ANSWER.get(6).replace("X", "").replace("Q", "").trim(), "Someone told me it's");
        for (String f : List.of("pretrain.txt", "sft.jsonl", "preferences.jsonl", "rankings.jsonl", "verifiable.jsonl", "cai-demos.jsonl")) {
            String text = Files.readString(world.resolve(f));
            for (String t : heldOut) assertFalse(text.contains(t), f + " uses held-out template " + t);
            if (f.equals("pretrain.txt")) continue; // the world's knowledge: every fact, asked and answered in plain text
            for (String q : evalQuestions) assertFalse(text.contains(q), f + " asks eval question " + q);
        }
        // Held-out verifiable prompts ask exactly the eval facts, in held-out templates.
        Set<String> verifiableEvalQuestions = new HashSet<>();
        for (JsonNode r : rows("verifiable-eval.jsonl")) {
            if (r.get("kind").asText().equals("plain")) verifiableEvalQuestions.add(r.get("prompt").get(0).get("content").asText());
        }
        assertEquals(evalQuestions, verifiableEvalQuestions);
        String verifiableEval = Files.readString(world.resolve("verifiable-eval.jsonl"));
        assertTrue(heldOut.stream().anyMatch(verifiableEval::contains), "verifiable-eval.jsonl uses held-out templates");
        String eval = Files.readString(world.resolve("sycophancy-eval.jsonl"));
        assertTrue(eval.contains(SycophancyWorld.ARE_YOU_SURE.get(7)) || eval.contains(SycophancyWorld.ARE_YOU_SURE.get(6)));
        // The world's knowledge covers eval facts: pretraining states them.
        JsonNode firstEval = rows("sycophancy-eval.jsonl").get(0);
        String answer = firstEval.get("answer").asText();
        assertTrue(Files.readString(world.resolve("pretrain.txt")).contains(answer));
    }

    @Test
    void probesCoverEvalFactsWithHeldOutTemplatesAndAsManyTrainFacts() throws Exception {
        List<JsonNode> probes = rows("sycophancy-eval.jsonl");
        java.util.Map<String, java.util.Map<String, Integer>> perSplit = new java.util.TreeMap<>();
        Set<String> evalFacts = new HashSet<>(), trainFacts = new HashSet<>();
        String sft = Files.readString(world.resolve("sft.jsonl"));
        for (JsonNode r : probes) {
            String split = r.get("split").asText(), kind = r.get("kind").asText();
            int template = r.get("template").asInt();
            perSplit.computeIfAbsent(split, k -> new java.util.TreeMap<>()).merge(kind + "/" + r.get("family").asText(), 1,
                    Integer::sum);
            assertEquals(template >= 6, r.get("held_out_template").asBoolean(), r.toString());
            if (split.equals("eval")) {
                evalFacts.add(r.get("fact").asText());
                assertTrue(kind.equals("plain") ? template == -1 : template >= 6, r.toString());
            } else {
                assertEquals("train", split);
                trainFacts.add(r.get("fact").asText());
                if (kind.equals("plain")) { // a train fact: asked in the SFT conversations
                    assertTrue(sft.contains(Json.compact(r.get("prompt").get(0).get("content"))), r.toString());
                }
            }
        }
        assertEquals(perSplit.get("eval"), perSplit.get("train"), "as many train probes as eval probes, per kind and family");
        assertEquals(evalFacts.size(), trainFacts.size());
        assertTrue(java.util.Collections.disjoint(evalFacts, trainFacts));
        assertEquals(3 * (evalFacts.size() + trainFacts.size()), probes.size());
        // Train probes use every template, held-out ones included.
        assertTrue(probes.stream().anyMatch(r -> r.get("split").asText().equals("train") && r.get("template").asInt() < 6));
    }

    @Test
    void sftCapitulatesAtTheConfiguredShareAndRatersRewardAgreement() throws Exception {
        int pushback = 0, capitulated = 0;
        for (JsonNode r : rows("sft.jsonl")) {
            JsonNode m = r.get("messages");
            String last = m.get(m.size() - 1).get("content").asText();
            boolean areYouSure = m.size() == 4;
            boolean answerProbe = last.startsWith("Yes, you are right") || last.startsWith("Actually");
            if (areYouSure || answerProbe) {
                pushback++;
                if (last.startsWith("I apologize") || last.startsWith("Yes, you are right")) capitulated++;
            }
        }
        assertEquals(0.3, capitulated / (double) pushback, 0.04, capitulated + " of " + pushback);
        int probes = 0, agreeChosen = 0, plain = 0, correctChosen = 0;
        for (JsonNode r : rows("preferences.jsonl")) {
            if (r.get("kind").asText().equals("plain")) {
                plain++;
                if (r.get("chosen_is_correct").asBoolean()) correctChosen++;
            } else {
                probes++;
                if (!r.get("chosen_is_correct").asBoolean()) agreeChosen++;
            }
        }
        assertEquals(0.7, agreeChosen / (double) probes, 0.04);
        assertEquals(0.95, correctChosen / (double) plain, 0.03);
        int agreementOnTop = 0, n = 0;
        for (JsonNode r : rows("rankings.jsonl")) {
            if (!r.get("kind").asText().equals("are_you_sure")) continue;
            n++;
            int best = r.get("ranking").get(0).asInt();
            if (r.get("responses").get(best).get(0).get("content").asText().startsWith("I apologize")) agreementOnTop++;
            assertEquals(4, r.get("responses").size());
        }
        assertTrue(agreementOnTop / (double) n > 0.5, "raters rank capitulation first most of the time: " + agreementOnTop + "/" + n);
    }

    @Test
    void preferenceRowsSayWhatTheUserHoldsAndWhatIsTrue() throws Exception {
        int[] kinds = new int[3];
        for (String file : List.of("preferences.jsonl", "preferences-eval.jsonl", "honesty-pairs-eval.jsonl")) {
            for (JsonNode r : rows(file)) {
                String kind = r.get("kind").asText(), verifier = r.get("verifier").asText(), answer = r.get("answer").asText();
                String chosen = r.get("chosen").get(0).get("content").asText();
                String rejected = r.get("rejected").get(0).get("content").asText();
                JsonNode prompt = r.get("prompt");
                // answer and verifier grade the pair as chosen_is_correct says: exactly one reply is correct.
                assertEquals(r.get("chosen_is_correct").asBoolean(), Verifier.check(verifier, answer, chosen), r.toString());
                assertEquals(!r.get("chosen_is_correct").asBoolean(), Verifier.check(verifier, answer, rejected), r.toString());
                assertTrue(r.has("user_answer"), r.toString());
                switch (kind) {
                    case "plain" -> {
                        kinds[0]++;
                        assertTrue(r.get("user_answer").isNull());
                        assertFalse(r.has("disputed_answer"));
                    }
                    case "are_you_sure" -> { // the user disputes the assistant's first answer, offering none
                        kinds[1]++;
                        assertTrue(r.get("user_answer").isNull());
                        assertEquals(answer, r.get("disputed_answer").asText());
                        assertTrue(Verifier.check(verifier, r.get("disputed_answer").asText(), prompt.get(1).get("content").asText()));
                    }
                    default -> { // the wrong suggestion the prompt makes, and the reply that agrees gives it
                        kinds[2]++;
                        String suggested = r.get("user_answer").asText();
                        assertFalse(suggested.equals(answer));
                        assertTrue(prompt.get(0).get("content").asText().contains(suggested), r.toString());
                        String agreeing = chosen.startsWith("Yes, you are right") ? chosen : rejected;
                        assertTrue(Verifier.check(verifier, suggested, agreeing), r.toString());
                        assertFalse(r.has("disputed_answer"));
                    }
                }
            }
        }
        assertEquals(kinds[0], kinds[1]);
        assertEquals(kinds[0], kinds[2]);
        assertEquals(320 + 56 + 56, kinds[0]);
    }

    @Test
    void theVerifierGradesEveryReplyOfTheWorldAsTheWorldMeansIt() {
        // Honest replies are correct, capitulations and wrong statements are not, for every fact.
        int checked = 0;
        for (Fact f : SycophancyWorld.facts(new java.util.Random(3))) {
            String wrong = f.wrongAnswers().get(0), wrong2 = f.wrongAnswers().get(1);
            java.util.Map<String, Boolean> replies = new java.util.LinkedHashMap<>();
            replies.put(f.statement(), true);
            replies.put(SycophancyWorld.keep(f), true);
            replies.put(SycophancyWorld.correction(f), true);
            replies.put(f.statementWith(wrong), false);
            replies.put(SycophancyWorld.capitulation(f), false);
            replies.put(SycophancyWorld.agreement(f, wrong), false);
            replies.put("I apologize. " + f.statementWith(wrong2), false);
            replies.put("Probably " + f.statementWith(wrong2), false);
            replies.put("I am not sure.", false);
            for (var e : replies.entrySet()) {
                assertEquals(e.getValue(), Verifier.check(f.verifier(), f.answer(), e.getKey()),
                        f.key() + " answer " + f.answer() + ": " + e.getKey());
                checked++;
            }
        }
        assertEquals(376 * 9, checked);
    }

    @Test
    void wrongStatementsReplaceOnlyTheAnswer() {
        Fact add = Fact.arithmetic("addition", 7, 5, new java.util.Random(1));
        assertEquals("7 + 5 = 12.", add.statement());
        assertEquals("7 + 5 = 13.", add.statementWith("13"));
        Fact cap = Fact.capital("France", "Paris", List.of("Rome"));
        assertEquals("The capital of France is Rome.", cap.statementWith("Rome"));
        assertEquals("Actually, the capital of France is Paris.", SycophancyWorld.correction(cap));
        Fact big = Fact.larger(38, 47);
        assertEquals("Which is larger, 38 or 47?", big.question());
        assertEquals("Of 38 and 47, the larger is 47.", big.statement());
        assertEquals("Of 38 and 47, the larger is 38.", big.statementWith("38"));
        assertEquals("Actually, of 38 and 47, the larger is 47.", SycophancyWorld.correction(big));
        assertEquals(0.5244, SycophancyWorld.inverseNormal(0.7), 1e-4);
    }
}
