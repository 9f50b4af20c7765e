package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align.core.GarbageCollection;
import dev.align.core.OfflineDjl;
import dev.align.core.TinyModels;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.PolicyModel;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.tokenizer.ByteLevelVocabulary;
import dev.align.core.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Trains a small model under full_determinism in this JVM and prints a SHA-256 of its final weights
 * and its last loss; {@link CrossProcessDeterminismTest} runs it in separate JVMs and compares.
 * Arguments: steps, hidden size, layers, and {@code gc} to run a garbage collection between every
 * forward and backward pass (as the JVM may at any allocation; the weights must not change).
 */
public final class DeterminismProbe {
    public static void main(String[] args) throws Exception {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        boolean collect = args.length > 3 && args[3].equals("gc");
        Path out = Files.createTempDirectory("probe");
        try (NDManager manager = OfflineDjl.newManager();
                TransformerPolicy model = TransformerPolicy.initialize(manager,
                        ModelConfig.llama("llama", ByteLevelVocabulary.SIZE, hidden, layers, 4, 2, hidden * 2, 128, false),
                        Tokenizer.byteLevel(), 7)) {
            List<int[]> rows = new ArrayList<>();
            for (int a = 0; a < 16; a++) rows.add(ByteLevelVocabulary.bytesOf(a + " plus " + (a % 5) + " makes " + (a + a % 5) + "."));
            Objective objective = new Objective() {
                @Override
                public int size() {
                    return rows.size();
                }

                @Override
                public Step loss(PolicyModel m, int[] examples) {
                    List<int[]> batch = new ArrayList<>();
                    for (int i : examples) batch.add(rows.get(i));
                    NDArray[] b = TinyModels.batch(m.manager(), batch, m.tokenizer().padId(), false);
                    NDArray loss = CausalLmLoss.mean(m, b[0], b[1], null);
                    if (collect) GarbageCollection.collectAndFree();
                    return new Step(loss, Map.of(), 0);
                }

                @Override
                public Map<String, Double> evaluate(PolicyModel m) {
                    return Map.of();
                }
            };
            TrainingConfig config = TrainingConfig.DEFAULTS.with(Map.of("learning_rate", 3e-3, "max_steps", steps,
                    "per_device_train_batch_size", 4, "gradient_accumulation_steps", 2, "warmup_steps", 2,
                    "logging_steps", 1, "save_steps", 0, "seed", 3, "full_determinism", true), "probe");
            Trainer.Result r = new Trainer("probe", model, objective, config, out, Map.of(), Progress.Factory.NONE).train(false);
            System.out.println("loss " + r.finalLoss() + " weights " + hash(model));
        }
    }

    static String hash(PolicyModel model) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            float[] v = e.getValue().toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4);
            b.asFloatBuffer().put(v);
            sha.update(b.array());
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }
}
