package dev.align.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.align.core.BadInputException;
import dev.align.core.reward.Sample;
import dev.align.core.rollout.FinishReason;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptDatasetTest {
    @TempDir Path tmp;

    private Path file(String... lines) throws Exception {
        Path f = tmp.resolve("prompts.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    @Test
    void promptsKeepTheirOtherColumnsAsRewardFieldsAndEncodeAsSftConditionsOnThem() throws Exception {
        Path f = file("{\"prompt\": [{\"role\": \"user\", \"content\": \"What is 2 + 2?\"}], \"answer\": \"4\", \"verifier\": \"number\","
                        + " \"meta\": {\"kind\": \"plain\"}, \"n\": 3, \"gone\": null}",
                "{\"prompt\": \"Q: 3 + 4 =\", \"chosen\": \"7\", \"rejected\": \"8\"}");
        Tokenizer tok = Tokenizer.byteLevel();
        ExampleEncoder encoder = new ExampleEncoder(tok, 512, false);
        try (PromptDataset d = PromptDataset.open(f, Format.PROMPT, false)) {
            assertEquals(2, d.size());
            assertEquals(Map.of("answer", "4", "verifier", "number", "meta", "{\"kind\":\"plain\"}", "n", "3"), d.row(0).fields());
            assertEquals(Map.of("chosen", "7", "rejected", "8"), d.row(1).fields()); // a preference file's prompts serve
            List<Prompt> prompts = d.prompts(new int[] {1, 0}, encoder);
            assertEquals(1, prompts.get(0).index());
            assertArrayEquals(encoder.promptIds(d.row(0).prompt()), prompts.get(1).ids());
            assertArrayEquals(tok.encode("Q: 3 + 4 =", true), prompts.get(0).ids());

            int[] completion = tok.encode(" 4.", false);
            Sample chat = d.sample(new Rollout(0, 2, prompts.get(1).ids(), completion, new float[completion.length],
                    FinishReason.LENGTH, " 4."), tok);
            assertEquals(tok.chatTemplate().render(d.row(0).prompt().messages(), true), chat.prompt());
            assertEquals(" 4.", chat.completion());
            assertEquals("4", chat.field("answer"));
            assertEquals(d.row(0).prompt().messages(), chat.promptMessages());
            Sample plain = d.samples(List.of(new Rollout(1, 0, prompts.get(0).ids(), completion, new float[completion.length],
                    FinishReason.LENGTH, " 4.")), tok).get(0);
            assertEquals("Q: 3 + 4 =", plain.prompt());
            assertNull(plain.promptMessages());
        }
    }

    @Test
    void badRowsNameFileLineAndField() throws Exception {
        Path noPrompt = file("{\"prompt\": \"ok\"}", "{\"question\": \"no prompt here\"}");
        BadInputException e = assertThrows(BadInputException.class, () -> PromptDataset.open(noPrompt, Format.PROMPT, false));
        assertEquals(noPrompt + ":2: field 'prompt': missing", e.getMessage());
        Path badVerifier = file("{\"prompt\": \"1+1=\", \"answer\": \"2\", \"verifier\": \"numbr\"}");
        e = assertThrows(BadInputException.class, () -> PromptDataset.open(badVerifier, Format.VERIFIABLE, false));
        assertEquals(badVerifier + ":1: field 'verifier': unknown verifier 'numbr' (number, choice, exact, regex:PATTERN)",
                e.getMessage());
        try (PromptDataset d = PromptDataset.open(file("{\"prompt\": \"a\"}", "{\"prompt\": 3}", "{\"prompt\": \"b\"}"),
                Format.PROMPT, true)) {
            assertEquals(2, d.size());
            assertEquals(3, d.lineNumber(1));
            assertEquals(1, d.skippedLines().size());
        }
    }
}
