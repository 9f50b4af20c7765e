package dev.align.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.reward.Sample;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prompts an online method samples from (PPO, GRPO, RLOO, constitutional AI), as TRL's trainers take
 * a prompt-only dataset: every row has a {@code prompt} (a string, or a list of messages rendered with the
 * policy's chat template and a generation prompt), and its other columns travel with it to the reward
 * functions as {@link Sample#fields()} (e.g. {@code answer} and {@code verifier}).
 *
 * <p>Opened as {@link Format#PROMPT} (any row with a {@code prompt}: a prompts file, or the prompts of an
 * SFT, preference or verifiable file) or {@link Format#VERIFIABLE} (every row also has a usable {@code
 * answer} and {@code verifier}). Each line is checked when the file is opened; a bad one is a one-line
 * error naming file, line and field.
 *
 * <p>Prompt ids come from {@link ExampleEncoder#promptIds}, the encoding SFT trains on: a chat prompt
 * rendered once with the template's generation prompt, a plain one with the tokenizer's BOS, the last
 * {@code max_prompt_length} tokens when longer (TRL's left truncation).
 */
public final class PromptDataset implements AutoCloseable {
    private final Dataset data;

    /** One row: the prompt, and the row's other columns as text (a nested value as compact JSON). */
    public record Row(Example.Turns prompt, Map<String, String> fields) {}

    private PromptDataset(Dataset data) {
        this.data = data;
    }

    /**
     * @param format {@link Format#PROMPT} or {@link Format#VERIFIABLE}
     * @param skipBadLines count and leave out malformed lines instead of stopping
     */
    public static PromptDataset open(Path file, Format format, boolean skipBadLines) {
        if (format != Format.PROMPT && format != Format.VERIFIABLE) {
            throw new IllegalArgumentException("prompts are read as PROMPT or VERIFIABLE rows, not " + format);
        }
        return new PromptDataset(Dataset.open(file, format, skipBadLines));
    }

    public Path file() {
        return data.file();
    }

    public Format format() {
        return data.format();
    }

    public int size() {
        return data.size();
    }

    /** 1-based file line of row i. */
    public long lineNumber(int i) {
        return data.lineNumber(i);
    }

    /** Messages of the lines left out with {@code skipBadLines}. */
    public List<String> skippedLines() {
        return data.skippedLines();
    }

    /** Row i: its prompt and its other columns. */
    public Row row(int i) {
        Example e = data.get(i);
        Example.Turns prompt = e instanceof Example.Verifiable v ? v.prompt() : ((Example.Prompt) e).prompt();
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            JsonNode node = Json.MAPPER.readTree(data.line(i));
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("prompt") || f.getValue().isNull()) return;
                fields.put(f.getKey(), f.getValue().isValueNode() ? f.getValue().asText() : Json.compact(f.getValue()));
            });
        } catch (java.io.IOException ex) { // the line parsed when the file was opened
            throw BadInputException.at(file(), lineNumber(i), null, "invalid JSON: " + ex.getMessage());
        }
        return new Row(prompt, fields);
    }

    /**
     * The prompt ids the policy is fed for row i; a template that cannot render the row is a one-line
     * error naming its line.
     */
    public int[] promptIds(int i, ExampleEncoder encoder) {
        try {
            return encoder.promptIds(row(i).prompt());
        } catch (BadInputException e) {
            throw BadInputException.at(file(), lineNumber(i), "prompt", e.getMessage());
        }
    }

    /** Rows as rollout prompts, each numbered by its row index (which, with the seed, fixes its samples). */
    public List<Prompt> prompts(int[] rows, ExampleEncoder encoder) {
        List<Prompt> out = new ArrayList<>(rows.length);
        for (int r : rows) out.add(new Prompt(r, promptIds(r, encoder)));
        return out;
    }

    /**
     * A rollout of row {@code rollout.promptIndex()} as a reward function sees it: the prompt as the policy
     * saw it (rendered text), the completion's text and ids, the row's other columns, and a chat prompt's
     * messages (a reward model renders them with its own template).
     */
    public Sample sample(Rollout rollout, Tokenizer tokenizer) {
        Row row = row((int) rollout.promptIndex());
        String promptText = row.prompt().conversational()
                ? tokenizer.chatTemplate().render(row.prompt().messages(), true)
                : row.prompt().text();
        return new Sample(promptText, rollout.text(), rollout.promptIds(), rollout.completionIds(), row.fields(),
                row.prompt().conversational() ? row.prompt().messages() : null);
    }

    /** Every rollout as a {@link Sample}, in order. */
    public List<Sample> samples(List<Rollout> rollouts, Tokenizer tokenizer) {
        List<Sample> out = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) out.add(sample(r, tokenizer));
        return out;
    }

    @Override
    public void close() {
        data.close();
    }
}
