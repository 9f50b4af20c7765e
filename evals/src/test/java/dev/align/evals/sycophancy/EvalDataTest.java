package dev.align.evals.sycophancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import dev.align.evals.ExternalEvalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading eval files: every real fixture, kinds by row shape, and one-line errors. */
class EvalDataTest {
    @TempDir Path tmp;

    @Test
    void everyFixtureFileReadsAsItsKind() {
        Object[][] files = {{"sycophancy-eval/are_you_sure.head5.jsonl", DataKind.ARE_YOU_SURE, 5},
            {"sycophancy-eval/are_you_sure.aqua_mc.rebuilt.jsonl", DataKind.ARE_YOU_SURE, 254},
            {"sycophancy-eval/answer.head5.jsonl", DataKind.ANSWER, 5},
            {"sycophancy-eval/feedback.head5.jsonl", DataKind.FEEDBACK, 5},
            {"model-written-evals/political_typology_quiz_liberal-bio_liberal.every10th.jsonl", DataKind.AB, 510},
            {"model-written-evals/political_typology_quiz_liberal-bio_conservative.every10th.jsonl", DataKind.AB, 510}};
        for (Object[] f : files) {
            EvalData d = EvalData.read(ExternalEvalFiles.file((String) f[0]));
            assertEquals(f[1], d.kind(), (String) f[0]);
            assertEquals(f[2], d.items().size(), (String) f[0]);
        }
    }

    @Test
    void sycophancyEvalRowsAreToldApartByTheirTemplatesWhenTheNameDoesNot() throws Exception {
        Path answer = tmp.resolve("rows.jsonl"), areYouSure = tmp.resolve("other.jsonl");
        Files.copy(ExternalEvalFiles.file("sycophancy-eval/answer.head5.jsonl"), answer);
        Files.copy(ExternalEvalFiles.file("sycophancy-eval/are_you_sure.head5.jsonl"), areYouSure);
        assertEquals(DataKind.ANSWER, EvalData.read(answer).kind());
        assertEquals(DataKind.ARE_YOU_SURE, EvalData.read(areYouSure).kind());
        assertEquals(DataKind.ARE_YOU_SURE, EvalData.read(answer, DataKind.ARE_YOU_SURE).kind(), "an explicit kind wins");
    }

    @Test
    void publishedAbSchemaKeepsItsAffiliation() throws Exception {
        Path f = tmp.resolve("sycophancy_on_nlp_survey.jsonl");
        Files.writeString(f, "{\"question\": \"Q?\\n (A) Agree\\n (B) Disagree\\n\\nAnswer:\", \"answer_matching_behavior\": \" (A)\", "
                + "\"answer_not_matching_behavior\": [\" (B)\"], \"user_affiliation\": \"x\"}\n");
        EvalItem.Ab a = (EvalItem.Ab) EvalData.read(f).items().get(0);
        assertEquals(" (A)", a.matching());
        assertEquals(List.of(" (B)"), a.notMatching());
        assertEquals("x", a.userAffiliation());
        assertEquals("nlp_survey", a.family());
        assertTrue(a.prompt().endsWith("\n\nAssistant: I believe the best answer is"));
    }

    @Test
    void badInputIsOneLineNamingFileLineAndField() throws Exception {
        String ok = SycophancyEvalTest.PLAIN;
        String[][] cases = {
            {"w.jsonl", ok + "\n" + ok.replace("\"number\"", "\"bogus\""), ":2: field 'verifier': unknown verifier 'bogus'"},
            {"w.jsonl", ok + "\n\n" + ok.replace("\"answer\":\"5\"", "\"answer\":\"five\""), ":3: field 'answer': not a number"},
            {"w.jsonl", ok.replace("\"kind\":\"plain\"", "\"kind\":\"other\""), ":1: field 'kind': expected plain, are_you_sure or answer"},
            {"w.jsonl", ok.replace(",\"wrong_answer\":\"2\"", ""), ":1: field 'wrong_answer': missing"},
            {"w.jsonl", ok.replace("\"split\":\"eval\"", "\"split\":\"dev\""), ":1: field 'split': expected eval or train"},
            {"w.jsonl", ok + "\n{oops", ":2: invalid JSON"},
            {"are_you_sure.jsonl", "{\"prompt\":[{\"type\":\"human\",\"content\":\"Q\"}],\"base\":{\"dataset\":\"d\"},"
                    + "\"metadata\":{\"prompt_template\":\"{question}\"}}", ":1: field 'base.answer': missing"},
            {"answer.jsonl", "{\"prompt\":[{\"type\":\"robot\",\"content\":\"Q\"}],\"base\":{},\"metadata\":{}}",
                    ":1: field 'prompt[0].type': expected one of human, ai"},
            {"ab.jsonl", "{\"prompt\":\"Q\",\"corrects\":[\" (A)\"],\"incorrects\":[\" (B)\"]}",
                    ":1: cannot tell the users' bios from the file name"},
            {"x.jsonl", "{\"text\":\"hi\"}", ":1: unknown row shape"},
        };
        for (String[] c : cases) {
            Path f = tmp.resolve(c[0]);
            Files.writeString(f, c[1] + "\n");
            BadInputException e = assertThrows(BadInputException.class, () -> EvalData.read(f), c[1]);
            assertTrue(e.getMessage().startsWith(f + c[2]), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        assertTrue(assertThrows(BadInputException.class, () -> EvalData.read(tmp.resolve("missing.jsonl"))).getMessage()
                .endsWith("missing.jsonl: file not found"));
    }

    @Test
    void oldWorldFilesWithoutTheNewColumnsStillRead() throws Exception {
        Path f = tmp.resolve("old.jsonl");
        Files.writeString(f, SycophancyEvalTest.ARE_YOU_SURE.replace(",\"held_out_template\":true,\"split\":\"eval\",\"fact\":\"addition:0:5\"", "")
                .replace("\"template\":7", "\"template\":6") + "\n");
        EvalItem.WorldProbe w = (EvalItem.WorldProbe) EvalData.read(f).items().get(0);
        assertEquals(List.of(true, "eval", "addition:5:2"), List.of(w.heldOutTemplate(), w.split(), w.question()));
    }
}
