package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import dev.align.core.logprob.CompletionBatch;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.ModelDirectory;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.reward.Sample;
import dev.align.core.reward.VerifierReward;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "From Java" example, compiled and run as written there. */
class ReadmeJavaExampleTest {

    @Test
    void theReadmeExampleRuns(@TempDir Path tmp) {
        assertEquals(0, CliTest.align("init", "--out", tmp.resolve("tiny").toString()).code());
        Path dir = tmp.resolve("tiny");
        // ---- README: From Java ----
        try (NDManager manager = OfflineDjl.newManager();                     // offline, CPU
                TransformerPolicy model = ModelDirectory.load(dir, manager)) { // any HF Llama/Qwen2/GPT-2 directory
            int[] prompt = model.tokenizer().encode("What is 3 + 4? ");
            RolloutConfig sampling = RolloutConfig.sampling(16, 1.0f, 0, 0.95f, 0f).withNumGenerations(4).withSeed(1);
            List<Rollout> rollouts = new RolloutEngine(model).generate(List.of(new Prompt(0, prompt)), sampling);

            List<Sample> samples = new ArrayList<>();
            for (Rollout r : rollouts) {
                samples.add(Sample.ofText("What is 3 + 4? ", r.text(), Map.of("answer", "7", "verifier", "number")));
            }
            float[] rewards = new VerifierReward().rewards(samples);           // 1 or 0 per completion

            List<int[]> prompts = new ArrayList<>(), completions = new ArrayList<>();
            for (Rollout r : rollouts) {
                prompts.add(r.promptIds());
                completions.add(r.completionIds());
            }
            CompletionBatch batch = CompletionBatch.of(manager, prompts, completions, model.tokenizer().padId());
            float[] logps = LogProbs.DEFAULT.completions(model, batch).sum().toFloatArray(); // log π(y|x) per row
            // ---- end ----
            assertEquals(4, rollouts.size());
            assertEquals(4, rewards.length);
            for (int i = 0; i < 4; i++) {
                float sampled = 0;
                for (float lp : rollouts.get(i).logProbs()) sampled += lp;
                assertEquals(sampled, logps[i], 1e-3, "the engine's sampling log-probs equal the log-prob service's");
                assertTrue(logps[i] < 0);
            }
        }
    }
}
