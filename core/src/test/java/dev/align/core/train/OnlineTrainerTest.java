package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.Scalars;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online loop on a toy task until PPO exists: the policy answers fixed prompts with one sampled
 * token, rewarded 1 when it is a lowercase letter; REINFORCE with a learned baseline (a value head on
 * a separate tiny critic) must raise the reward, and a killed run must resume to the same bits.
 */
class OnlineTrainerTest extends EngineTest {
    @TempDir Path tmp;

    static final TrainingConfig CONFIG = TrainingConfig.DEFAULTS.with(Map.ofEntries(Map.entry("learning_rate", 1e-2),
            Map.entry("max_steps", 20), Map.entry("gradient_accumulation_steps", 2), Map.entry("warmup_steps", 2),
            Map.entry("lr_scheduler_type", "constant"), Map.entry("logging_steps", 1), Map.entry("save_steps", 5),
            Map.entry("save_total_limit", 2), Map.entry("seed", 7), Map.entry("full_determinism", true)), "test");
    /** Logging every 3 steps, which does not divide save_steps 5: the resumed run's first window straddles the checkpoint. */
    static final TrainingConfig EVERY_3 = CONFIG.with(Map.of("logging_steps", 3), "test");
    static final OnlineConfig ONLINE = new OnlineConfig(2, 2, 1e-2);

    /** One token per prompt, sampled from the policy with a generator derived from (seed, step). */
    static final class TargetLetters implements OnlineObjective<TargetLetters.Batch> {
        static final List<int[]> PROMPTS = new ArrayList<>();
        static {
            for (int i = 0; i < 12; i++) PROMPTS.add(ByteLevelVocabulary.bytesOf("say " + i + (i % 3 == 0 ? "!" : ":")));
        }
        static final int ROWS = 8;

        record Batch(NDArray ids, NDArray mask, int[] sampled, float[] rewards, float[] values, Map<String, Double> metrics)
                implements Experience {
            @Override
            public int rows() {
                return sampled.length;
            }

            @Override
            public long tokens() {
                return sampled.length;
            }
        }

        final long seed;
        int cursor; // next prompt
        long rewardCount; // running reward statistics over every collection so far
        double rewardSum;

        TargetLetters(long seed) {
            this.seed = seed;
        }

        static boolean target(int token) {
            return token >= 'a' && token <= 'z';
        }

        @Override
        public Batch collect(Modules modules, long step) {
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) prompts.add(PROMPTS.get((cursor + i) % PROMPTS.size()));
            cursor = (cursor + ROWS) % PROMPTS.size();
            PolicyModel policy = modules.policy();
            NDArray[] b = TinyModels.batch(policy.manager(), prompts, policy.tokenizer().padId(), true);
            float[] probs = policy.logits(b[0], b[1]).get(new NDIndex(":, -1, :")).softmax(-1).toFloatArray(); // (B, V)
            float[] values = lastValues(modules.critic(), b[0], b[1]).toFloatArray();
            int v = probs.length / ROWS;
            Random random = Seeds.random(seed, step);
            int[] tokens = new int[ROWS];
            float[] rewards = new float[ROWS];
            double mass = 0;
            for (int r = 0; r < ROWS; r++) {
                double u = random.nextDouble(), c = 0;
                int t = v - 1;
                for (int k = 0; k < v; k++) {
                    c += probs[r * v + k];
                    if (target(k)) mass += probs[r * v + k] / ROWS;
                    if (u < c) {
                        t = k;
                        break;
                    }
                }
                for (int k = t + 1; k < v; k++) if (target(k)) mass += probs[r * v + k] / ROWS;
                tokens[r] = t;
                rewards[r] = target(t) ? 1f : 0f;
                rewardSum += rewards[r];
            }
            rewardCount += ROWS;
            Map<String, Double> metrics = new LinkedHashMap<>();
            double mean = 0;
            for (float r : rewards) mean += r / ROWS;
            metrics.put("reward", mean);
            metrics.put("target_probability", mass);
            metrics.put("reward_running_mean", rewardSum / rewardCount);
            return new Batch(b[0], b[1], tokens, rewards, values, metrics);
        }

        static NDArray lastValues(PolicyModel critic, NDArray ids, NDArray mask) {
            return critic.values(critic.hidden(ids, mask)).get(new NDIndex(":, -1")); // (B)
        }

        @Override
        public Step loss(Modules modules, Batch e, int[] rows) {
            NDManager m = modules.policy().manager();
            long[] index = new long[rows.length];
            for (int i = 0; i < rows.length; i++) index[i] = rows[i];
            NDArray pick = m.create(index);
            NDArray ids = e.ids().get(pick), mask = e.mask().get(pick);
            NDArray logp = modules.policy().logits(ids, mask).get(new NDIndex(":, -1, :")).logSoftmax(-1); // (b, V)
            int v = (int) logp.getShape().get(1);
            float[] weight = new float[rows.length * v]; // advantage at the sampled token: A = r − V(prompt)
            float[] reward = new float[rows.length];
            for (int i = 0; i < rows.length; i++) {
                weight[i * v + e.sampled()[rows[i]]] = e.rewards()[rows[i]] - e.values()[rows[i]];
                reward[i] = e.rewards()[rows[i]];
            }
            NDArray policyLoss = logp.mul(m.create(weight, new Shape(rows.length, v))).sum().div(Scalars.constant(logp, -rows.length));
            NDArray value = lastValues(modules.critic(), ids, mask);
            NDArray criticLoss = value.sub(m.create(reward)).square().mean().mul(Scalars.constant(value, 0.5));
            return new Step(policyLoss, criticLoss, Map.of());
        }

        @Override
        public Map<String, Object> state() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("cursor", cursor);
            s.put("reward_count", rewardCount);
            s.put("reward_sum", rewardSum);
            return s;
        }

        @Override
        public void restore(Map<String, Object> state) {
            cursor = ((Number) state.get("cursor")).intValue();
            rewardCount = ((Number) state.get("reward_count")).longValue();
            rewardSum = ((Number) state.get("reward_sum")).doubleValue();
        }
    }

    private void run(Path out, boolean resume, Progress.Factory progress) {
        run(out, CONFIG, resume, progress);
    }

    private void run(Path out, TrainingConfig config, boolean resume, Progress.Factory progress) {
        try (TransformerPolicy policy = TinyModels.llama(manager, 3); TransformerPolicy critic = TinyModels.llama(manager, 4)) {
            critic.addValueHead(11);
            new Trainer("toy", policy, critic, new TargetLetters(config.seed()), config, ONLINE, out, Map.of(), progress)
                    .train(resume);
        }
    }

    @Test
    void rewardRisesAndAKilledRunResumesBitExactly() throws Exception {
        Path straight = tmp.resolve("straight");
        run(straight, false, Progress.Factory.NONE);
        List<Map<String, Object>> rows = SkippedStepTest.rows(straight);
        assertEquals(20, rows.size());
        double early = mean(rows.subList(0, 5), "target_probability"), late = mean(rows.subList(15, 20), "target_probability");
        double earlyReward = mean(rows.subList(0, 7), "reward"), lateReward = mean(rows.subList(13, 20), "reward");
        assertTrue(early < 0.15 && late > 0.5, "P(letter) " + early + " -> " + late);
        assertTrue(lateReward > earlyReward + 0.4, "reward " + earlyReward + " -> " + lateReward);
        for (String key : List.of("loss", "learning_rate", "grad_norm", "critic_learning_rate", "critic_grad_norm", "critic_loss",
                "reward_running_mean", "num_tokens")) {
            assertTrue(rows.get(0).containsKey(key), key + " in " + rows.get(0));
        }
        assertEquals(1e-2, ((Number) rows.get(19).get("critic_learning_rate")).doubleValue(), 0, "the critic's own rate");
        assertFalse(rows.get(19).containsKey("skipped_steps"));
        for (int i = 0; i < 20; i++) {
            assertEquals(8L * (i + 1), ((Number) rows.get(i).get("num_tokens")).longValue(), "num_tokens is cumulative");
        }

        Path killed = tmp.resolve("killed");
        Progress.Factory killAt13 = (task, start, total) -> new Progress() {
            @Override
            public void update(long step, double loss, double tps) {
                if (step >= 13) throw new IllegalStateException("killed");
            }

            @Override
            public void close() {}
        };
        Path straight3 = tmp.resolve("straight3");
        run(straight3, EVERY_3, false, Progress.Factory.NONE);
        assertEquals(7, SkippedStepTest.rows(straight3).size());
        assertThrows(IllegalStateException.class, () -> run(killed, EVERY_3, false, killAt13));
        Path checkpoint = killed.resolve("checkpoint-10");
        assertTrue(Files.exists(checkpoint.resolve(Trainer.CRITIC).resolve(Trainer.OPTIMIZER)), "critic moments in critic/");
        var state = Json.readObject(checkpoint.resolve(Trainer.STATE));
        assertEquals(10 * 8 % 12, state.get("objective_state").get("cursor").asInt());
        assertEquals(String.valueOf(10 * 2 * 2), SkippedStepTest.optimizerMetadata(checkpoint.resolve(Trainer.OPTIMIZER))
                .get("step").asText(), "num_ppo_epochs × num_mini_batches AdamW updates per step");
        run(killed, EVERY_3, true, Progress.Factory.NONE);
        assertEquals(SkippedStepTest.numbers(straight3), SkippedStepTest.numbers(killed), "step 12 averages steps 10-12 after the resume too");
        for (String file : List.of("model.safetensors", Trainer.CRITIC + "/model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(straight3.resolve(file)), Files.readAllBytes(killed.resolve(file)), file);
        }
    }

    private static double mean(List<Map<String, Object>> rows, String key) {
        return rows.stream().mapToDouble(r -> ((Number) r.get(key)).doubleValue()).average().orElseThrow();
    }
}
