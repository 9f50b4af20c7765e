package dev.align.constitutional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.LocalModel;
import dev.align.core.inference.ReplySettings;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.datasets.constitution.FeedbackQuestion;
import dev.align.datasets.constitution.Principle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AiFeedbackTest extends EngineTest {
    static final List<Message> PROMPT = List.of(new Message("user", "What is 2 + 2?"), new Message("assistant", "2 + 2 = 4."),
            new Message("user", "Are you sure?"));
    static final String HONEST = "Yes, I am sure. 2 + 2 = 4.", SYCOPHANTIC = "I apologize, you are right. 2 + 2 = 5.";

    @Test
    void normalisedProbabilityAndOrderAveragingByHand() {
        assertEquals(0.75, AiFeedback.normalised(Math.log(0.6), Math.log(0.2)), 1e-12); // 0.6 / (0.6 + 0.2)
        assertEquals(1.0 / 3, AiFeedback.normalised(-2.0, Math.log(2) - 2.0), 1e-12);
        assertEquals(1.0, AiFeedback.normalised(0, -1000), 1e-12); // no overflow either way
        assertEquals(0.0, AiFeedback.normalised(-1000, 0), 1e-12);
        // first shown as A wins with 0.75; shown as B, option A (the second) has 0.4, so the first has 0.6
        assertEquals(0.675, AiFeedback.orderAveraged(0.75, 0.4), 1e-12);
        assertEquals(0.5, AiFeedback.orderAveraged(0.9, 0.9), 1e-12); // a constant preference for A cancels
        assertTrue(AiFeedback.followedPosition(0.7, 0.6)); // A won both times: a different response each time
        assertFalse(AiFeedback.followedPosition(0.7, 0.3)); // the same response both times
        assertFalse(AiFeedback.followedPosition(0.5, 0.9)); // a tie follows nothing
    }

    /**
     * A hand-built Llama whose next token after "(" is "A" with probability 0.8 against "B", whatever the context:
     * attention and MLP outputs are zero, so the last position's state is its own token's embedding, and the head
     * reads the options' logits off it. Its answer follows the order only: the swapped average is exactly ½, every
     * question pair follows the position, and the mean P(A) is 0.8.
     */
    @Test
    void aPurePositionPreferenceOfAHandBuiltModelCancelsInTheSwap() {
        TransformerPolicy model = TinyModels.llama(manager, 3);
        Map<String, NDArray> w = model.parameters();
        w.forEach((name, p) -> {
            if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") || name.equals("lm_head.weight")) p.muli(0);
        });
        int hidden = (int) model.config().hiddenSize();
        int paren = model.tokenizer().encode("(", false)[0], a = model.tokenizer().encode("A", false)[0],
                b = model.tokenizer().encode("B", false)[0];
        NDArray embed = w.get("model.embed_tokens.weight");
        embed.set(new NDIndex(paren), 0f);
        embed.set(new NDIndex(paren + ", 0"), 1f);
        double scale = Math.sqrt(hidden); // RMSNorm of a unit basis vector (norm weights are 1)
        w.get("lm_head.weight").set(new NDIndex(a + ", 0"), (float) (Math.log(4) / scale)); // logit(A) − logit(B) = ln 4
        Principle p1 = principle("p1"), p2 = principle("p2");
        List<Message> shortPrompt = List.of(new Message("user", "2+2?")); // the tiny model has 256 positions
        List<AiFeedback.Pair> pairs = List.of(new AiFeedback.Pair(shortPrompt, "4", "5"), new AiFeedback.Pair(shortPrompt, "5", "4"),
                new AiFeedback.Pair(List.of(new Message("user", "Hi")), "a", "bb"));
        try (InferenceModel local = new LocalModel("hand-built", model, false, 8, 0)) {
            List<AiFeedback.Judgement> js = AiFeedback.judge(local, List.of(p1, p2), pairs, 0);
            for (AiFeedback.Judgement j : js) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(0.8, j.firstShownA()[k], 1e-4);
                    assertEquals(0.8, j.firstShownB()[k], 1e-4);
                }
                assertEquals(0.5, j.probability(), 1e-9);
            }
            List<FeedbackPreferences.Labelled> labelled = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                labelled.add(new FeedbackPreferences.Labelled(new PromptRow(i + 1, PROMPT, dev.align.core.io.Json.MAPPER.createObjectNode(),
                        null, null), pairs.get(i), js.get(i), false));
            }
            Map<String, Object> summary = FeedbackPreferences.summary(new FeedbackPreferences.Result(labelled, List.of(p1, p2), 0, 0));
            @SuppressWarnings("unchecked")
            Map<String, Object> bias = (Map<String, Object>) summary.get("position_bias");
            assertEquals(6L, bias.get("question_pairs"));
            assertEquals(1.0, (double) bias.get("followed_position"), 1e-12);
            assertEquals(0.8, (double) bias.get("mean_probability_a"), 1e-4);
        }
    }

    /**
     * A scripted feedback model: P(A) = σ(±ln 3 + ln 2), + when option A is the honest reply (content) and ln 2 a
     * preference for A (position). Shown first as A: σ(ln 6) = 6/7; shown as B: σ(ln 2/3) = 0.4, so the swapped
     * average is ½(6/7 + 0.6), the same whichever order the pair arrives in.
     */
    @Test
    void contentPreferenceSurvivesTheSwapAndPositionBiasAverages() {
        Principle p1 = principle("p1");
        List<AiFeedback.Pair> pairs = List.of(new AiFeedback.Pair(PROMPT, HONEST, SYCOPHANTIC), new AiFeedback.Pair(PROMPT, SYCOPHANTIC, HONEST));
        List<AiFeedback.Judgement> js = AiFeedback.judge(new ScriptedFeedback(), List.of(p1), pairs, 0);
        double expected = 0.5 * (6.0 / 7 + 0.6);
        assertEquals(6.0 / 7, js.get(0).firstShownA()[0], 1e-12);
        assertEquals(0.4, js.get(0).firstShownB()[0], 1e-12);
        assertEquals(expected, js.get(0).probability(), 1e-12);
        assertEquals(1 - expected, js.get(1).probability(), 1e-12);
        assertFalse(AiFeedback.followedPosition(js.get(0).firstShownA()[0], js.get(0).firstShownB()[0]));
        // the output row orders the pair by the feedback: chosen is the honest reply in both
        for (int i = 0; i < 2; i++) {
            var row = FeedbackPreferences.row(new FeedbackPreferences.Labelled(new PromptRow(i + 1, PROMPT,
                    dev.align.core.io.Json.MAPPER.createObjectNode(), null, null), pairs.get(i), js.get(i), true), List.of(p1));
            assertEquals(HONEST, row.get("chosen").get(0).get("content").asText());
            assertEquals(SYCOPHANTIC, row.get("rejected").get(0).get("content").asText());
            assertEquals(expected, row.get("label").asDouble(), 1e-6);
            assertEquals(i == 0, row.get("agrees_with_input").asBoolean());
        }
    }

    static Principle principle(String id) {
        return new Principle(id, "Critique " + id + ".", "Revise " + id + ".", "Better? (" + id + ")", List.of(), List.of());
    }

    /** Reads which option is the honest reply from the question text (Bai et al.'s layout: "(A) ..." then "(B) ..."). */
    static final class ScriptedFeedback implements InferenceModel {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options) {
            assertEquals(FeedbackQuestion.OPTIONS, options);
            List<double[]> out = new ArrayList<>();
            for (List<Message> c : conversations) {
                assertEquals(FeedbackQuestion.PREFILL, c.get(c.size() - 1).content());
                String q = c.get(c.size() - 2).content();
                boolean honestIsA = q.contains("(A) " + HONEST);
                assertTrue(honestIsA || q.contains("(B) " + HONEST), q);
                double logit = (honestIsA ? Math.log(3) : -Math.log(3)) + Math.log(2);
                out.add(new double[] {logit - 5, -5}); // only the difference matters
            }
            return out;
        }

        @Override
        public java.util.Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
            return java.util.Optional.empty();
        }

        @Override
        public void close() {}
    }

}
