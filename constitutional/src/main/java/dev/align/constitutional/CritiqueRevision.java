package dev.align.constitutional;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.InferenceModel.Reply;
import dev.align.core.io.AtomicFiles;
import dev.align.core.io.Json;
import dev.align.core.reward.Verifier;
import dev.align.core.train.Seeds;
import dev.align.datasets.constitution.Constitution;
import dev.align.datasets.constitution.CritiquePrompts;
import dev.align.datasets.constitution.Principle;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SL-CAI, the supervised stage of Constitutional AI (Bai et al. 2022, §3.1): sample a response to each prompt, then
 * for {@code rounds} rounds draw a principle and ask the same model for a critique of its latest response and for a
 * revision; the prompt with the final revision is an SFT row.
 *
 * <p>Each request is a chat: the principle's few-shot demonstrations (as earlier turns), the prompt, the response,
 * and the critique request as a user turn; the revision request follows the model's critique
 * ({@link CritiquePrompts}). Round r starts a fresh chat on round r−1's revision, so the context stays bounded
 * whatever the rounds (the paper appends each round to one context). Responses, critiques and revisions come from
 * the rollout engine in process ({@code LocalModel}) or an OpenAI-compatible server, through one interface.
 */
public final class CritiqueRevision {
    private CritiqueRevision() {}

    /** The file of SFT rows with every step kept beside them. */
    public static final String REVISIONS = "revisions.jsonl";
    public static final String SUMMARY = "summary.json";

    static final long PRINCIPLES = 0x7072696eL, CRITIQUES = 0x63726974L, REVISIONS_STREAM = 0x72657669L;

    /**
     * One prompt's pass.
     *
     * @param principles the principle drawn in each round that ran
     * @param critiques the critique of each round
     * @param revisions the revision of each round
     * @param fewShot demonstrations the last request was given
     * @param stopped why revising stopped early ({@code too_long}: a request did not fit the context even without
     *     demonstrations; {@code empty}: a blank revision, the previous response kept), or null
     */
    public record Revised(PromptRow row, String original, List<String> principles, List<String> critiques,
            List<String> revisions, int fewShot, String stopped) {
        /** The response the SFT row trains on: the last revision, or the original when no round produced one. */
        public String last() {
            return revisions.isEmpty() ? original : revisions.get(revisions.size() - 1);
        }
    }

    /**
     * @param revised one per prompt whose response was sampled
     * @param promptsTooLong prompts that do not fit the model's context with {@code max_new_tokens}: no response
     */
    public record Result(List<Revised> revised, int promptsTooLong) {}

    /** The principles to draw from: the configured ids, or all; an unknown id is a one-line error. */
    static List<Principle> principles(Constitution constitution, List<String> ids) {
        if (ids.isEmpty()) return constitution.principles();
        List<Principle> out = new ArrayList<>();
        for (String id : ids) {
            Principle p = constitution.principles().stream().filter(q -> q.id().equals(id)).findFirst()
                    .orElseThrow(() -> new BadInputException("principles: constitution '" + constitution.name() + "' ("
                            + constitution.source() + ") has no principle '" + id + "'"));
            out.add(p);
        }
        return out;
    }

    public static Result run(InferenceModel model, Constitution constitution, List<PromptRow> rows, CritiqueConfig config,
            PrintWriter log) {
        List<Principle> pool = principles(constitution, config.principles());
        int n = rows.size();
        List<Reply> responses = model.reply(rows.stream().map(PromptRow::prompt).toList(), config.sampling().responses(0));
        String[] current = new String[n];
        List<List<String>> drawn = new ArrayList<>(), critiques = new ArrayList<>(), revisions = new ArrayList<>();
        int[] lastShots = new int[n];
        String[] stopped = new String[n];
        List<Integer> active = new ArrayList<>();
        int tooLong = 0;
        for (int i = 0; i < n; i++) {
            drawn.add(new ArrayList<>());
            critiques.add(new ArrayList<>());
            revisions.add(new ArrayList<>());
            if (responses.get(i).answered()) {
                current[i] = responses.get(i).text().strip();
                active.add(i);
            } else {
                tooLong++;
            }
        }
        List<Integer> sampled = List.copyOf(active);
        log.printf("cai sl: %d responses sampled (%d prompts too long for the context)%n", sampled.size(), tooLong);
        for (int round = 0; round < config.rounds() && !active.isEmpty(); round++) {
            Principle[] principle = new Principle[n];
            for (int i : active) {
                principle[i] = pool.get(Seeds.random(config.sampling().seed(), PRINCIPLES, rows.get(i).line(), round).nextInt(pool.size()));
                drawn.get(i).add(principle[i].id());
            }
            int[] ids = active.stream().mapToInt(Integer::intValue).toArray();
            int[] shots = FewShot.most(ids.length, config.fewShot(), j -> principle[ids[j]].examples().size());
            List<Reply> critique = FewShot.replies(model, ids,
                    (i, k) -> CritiquePrompts.critique(principle[i], rows.get(i).prompt(), current[i], k), shots,
                    config.sampling().at(config.critiqueTemperature(), Seeds.derive(CRITIQUES, round)));
            List<Integer> critiqued = new ArrayList<>();
            String[] critiqueText = new String[n];
            int[] critiqueShots = new int[n];
            for (int j = 0; j < ids.length; j++) {
                int i = ids[j];
                lastShots[i] = shots[j];
                if (!critique.get(j).answered()) {
                    stopped[i] = Reply.TOO_LONG;
                    drawn.get(i).remove(drawn.get(i).size() - 1);
                    continue;
                }
                critiqueText[i] = critique.get(j).text().strip();
                critiques.get(i).add(critiqueText[i]);
                critiqueShots[i] = shots[j];
                critiqued.add(i);
            }
            int[] rids = critiqued.stream().mapToInt(Integer::intValue).toArray();
            int[] rshots = new int[rids.length];
            for (int j = 0; j < rids.length; j++) rshots[j] = critiqueShots[rids[j]];
            List<Reply> revision = FewShot.replies(model, rids,
                    (i, k) -> CritiquePrompts.revision(principle[i], rows.get(i).prompt(), current[i], critiqueText[i], k), rshots,
                    config.sampling().at(config.critiqueTemperature(), Seeds.derive(REVISIONS_STREAM, round)));
            List<Integer> next = new ArrayList<>();
            for (int j = 0; j < rids.length; j++) {
                int i = rids[j];
                lastShots[i] = rshots[j];
                Reply r = revision.get(j);
                if (!r.answered()) {
                    stopped[i] = Reply.TOO_LONG;
                } else if (r.text().isBlank()) {
                    stopped[i] = "empty";
                } else {
                    current[i] = r.text().strip();
                    revisions.get(i).add(current[i]);
                    next.add(i);
                }
            }
            log.printf("cai sl: round %d: %d critiqued, %d revised%n", round + 1, rids.length, next.size());
            active = next;
        }
        List<Revised> out = new ArrayList<>();
        for (int i : sampled) {
            out.add(new Revised(rows.get(i), responses.get(i).text().strip(), List.copyOf(drawn.get(i)),
                    List.copyOf(critiques.get(i)), List.copyOf(revisions.get(i)), lastShots[i], stopped[i]));
        }
        return new Result(out, tooLong);
    }

    /**
     * The row written for one prompt: TRL's conversational prompt–completion SFT row (the prompt and the last
     * revision; {@code align sft} trains on it as it is), then every step ({@code original}, {@code principles},
     * {@code critiques}, {@code revisions}, {@code few_shot}, {@code stopped}) and the input row's other columns.
     */
    static ObjectNode row(Revised r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("prompt", r.row().promptJson());
        o.set("completion", PromptRow.assistant(r.last()));
        o.put("original", r.original());
        strings(o.putArray("principles"), r.principles());
        strings(o.putArray("critiques"), r.critiques());
        strings(o.putArray("revisions"), r.revisions());
        o.put("few_shot", r.fewShot());
        if (r.stopped() != null) o.put("stopped", r.stopped());
        o.put("line", r.row().line());
        r.row().columns().fields().forEachRemaining(e -> {
            if (!o.has(e.getKey())) o.set(e.getKey(), e.getValue());
        });
        return o;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    /**
     * What the pass did: counts, and where the prompts carry a verifiable {@code answer} (with a {@code verifier},
     * default exact), how often the original and the final response were correct.
     */
    static Map<String, Object> summary(Result result, Constitution constitution, CritiqueConfig config) {
        Map<String, Object> s = new LinkedHashMap<>();
        List<Revised> rs = result.revised();
        s.put("constitution", constitution.name());
        s.put("constitution_source", constitution.source());
        s.put("rows", rs.size() + result.promptsTooLong());
        s.put("prompts_too_long", result.promptsTooLong());
        s.put("responses", rs.size());
        s.put("rounds", config.rounds());
        long revised = rs.stream().filter(r -> !r.revisions().isEmpty()).count();
        long changed = rs.stream().filter(r -> !r.last().equals(r.original())).count();
        s.put("revised", revised);
        s.put("changed", changed);
        s.put("stopped_too_long", rs.stream().filter(r -> Reply.TOO_LONG.equals(r.stopped())).count());
        s.put("stopped_empty", rs.stream().filter(r -> "empty".equals(r.stopped())).count());
        Map<Integer, Long> shots = new java.util.TreeMap<>();
        for (Revised r : rs) shots.merge(r.fewShot(), 1L, Long::sum);
        s.put("few_shot", shots);
        Map<String, Long> drawn = new LinkedHashMap<>();
        for (Revised r : rs) for (String p : r.principles()) drawn.merge(p, 1L, Long::sum);
        s.put("principles", drawn);
        int verifiable = 0, originalCorrect = 0, lastCorrect = 0, fixed = 0, broken = 0;
        for (Revised r : rs) {
            String answer = r.row().column("answer");
            if (answer == null) continue;
            String verifier = r.row().column("verifier");
            Verifier v;
            try {
                v = Verifier.of(verifier == null ? "exact" : verifier);
            } catch (IllegalArgumentException e) {
                continue;
            }
            verifiable++;
            boolean before = v.verify(answer, r.original()).correct(), after = v.verify(answer, r.last()).correct();
            if (before) originalCorrect++;
            if (after) lastCorrect++;
            if (!before && after) fixed++;
            if (before && !after) broken++;
        }
        if (verifiable > 0) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("rows", verifiable);
            v.put("original_correct", originalCorrect / (double) verifiable);
            v.put("revision_correct", lastCorrect / (double) verifiable);
            v.put("fixed", fixed);
            v.put("broken", broken);
            s.put("verifiable", v);
        }
        return s;
    }

    /** Writes {@code out/revisions.jsonl} and {@code out/summary.json} (a temporary directory, then renamed). */
    public static Map<String, Object> write(Path out, Result result, Constitution constitution, CritiqueConfig config,
            Map<String, Object> provenance) {
        Map<String, Object> summary = summary(result, constitution, config);
        Map<String, Object> all = new LinkedHashMap<>(provenance);
        all.putAll(summary);
        AtomicFiles.writeDirectory(out, dir -> {
            StringBuilder sb = new StringBuilder();
            for (Revised r : result.revised()) sb.append(Json.compact(row(r))).append('\n');
            Files.writeString(dir.resolve(REVISIONS), sb.toString());
            Files.writeString(dir.resolve(SUMMARY), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n");
        });
        return summary;
    }
}
