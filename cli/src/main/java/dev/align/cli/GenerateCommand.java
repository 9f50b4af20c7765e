package dev.align.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.Json;
import dev.align.core.rollout.ChatPrompt;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ChatTemplate;
import dev.align.core.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align generate}: sample continuations of one or more prompts with the rollout engine. */
@Command(name = "generate", mixinStandardHelpOptions = true, showDefaultValues = true, description = "Sample continuations of prompts.")
final class GenerateCommand implements Callable<Integer> {
    /**
     * Decoding threads of {@code align generate} and {@code align bench} unless told otherwise (the library
     * leaves the setting alone). Measured with {@code align bench --sections rollout} (6 layers, d=256, vocab
     * 8192, top-p 0.95) on the project's shared 2-core machine: one thread gave 436 tokens/s at batch 64 and
     * 28 ms/token at batch 1, two threads 81 tokens/s and 291 ms/token. A decoding step is hundreds of small
     * ops, and on a busy machine every multi-threaded op waits for a second core.
     */
    static final int DECODE_THREADS = 1;

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, description = "A prompt; repeat for a batch.") List<String> prompts;
    @Option(names = "--chat", description = "Wrap each prompt as a user turn with the model's chat template.") boolean chat;
    @Option(names = "--max-new-tokens", defaultValue = "64") int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy.") float temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "0 = off.") int topK;
    @Option(names = "--top-p", defaultValue = "1.0", description = "Applied after top-k, to its renormalised mass; 1 = off.") float topP;
    @Option(names = "--min-p", defaultValue = "0.0", description = "0 = off.") float minP;
    @Option(names = "--num-generations", defaultValue = "1", description = "Samples per prompt.") int numGenerations;
    @Option(names = "--stop", description = "Stop string; repeatable.") List<String> stop = new ArrayList<>();
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--max-batch-size", defaultValue = "" + RolloutConfig.DEFAULT_MAX_BATCH_SIZE,
            description = "Rows decoded together.") int maxBatchSize;
    @Option(names = "--threads", defaultValue = "" + DECODE_THREADS,
            description = "PyTorch threads while decoding; 0 = PyTorch's default, one per core (1 measured fastest"
                    + " on a shared 2-core machine).")
    int threads;
    @Option(names = "--no-cache", description = "Recompute every step instead of using the KV cache.") boolean noCache;
    @Option(names = "--json", description = "One JSON object per sample with token ids and log-probs.") boolean json;

    @Override
    public Integer call() {
        RolloutConfig cfg = new RolloutConfig(maxNewTokens, temperature, topK, topP, minP, numGenerations, List.of(), stop,
                seed, maxBatchSize, threads, !noCache); // flags first
        if (numGenerations > 1 && temperature == 0) {
            spec.commandLine().getErr().println("warning: --temperature 0 is greedy: the " + numGenerations
                    + " samples of each prompt are identical");
        }
        try (ModelOptions.Loaded loaded = modelOptions.load()) {
            Tokenizer tok = loaded.model().tokenizer();
            List<int[]> ids = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (String p : prompts) {
                String text = chat ? ChatPrompt.render(tok, List.of(new ChatTemplate.Message("user", p))) : p;
                int[] encoded = tok.encode(text, !chat); // templates place BOS themselves
                if (encoded.length == 0) throw new IllegalArgumentException("--prompt: empty prompt");
                ids.add(encoded);
                texts.add(text);
            }
            List<Rollout> outs = new RolloutEngine(loaded.model()).generate(Prompt.numbered(ids), cfg);
            PrintWriter out = spec.commandLine().getOut();
            for (Rollout o : outs) {
                int i = (int) o.promptIndex();
                if (json) {
                    ObjectNode n = Json.MAPPER.createObjectNode();
                    n.put("prompt_index", i);
                    n.put("prompt", prompts.get(i));
                    if (chat) n.put("prompt_text", texts.get(i)); // as the template rendered it
                    n.put("sample", o.sampleIndex());
                    n.put("completion", o.text());
                    n.put("finish_reason", o.finishReason().toString());
                    var t = n.putArray("token_ids");
                    for (int id : o.completionIds()) t.add(id);
                    var lp = n.putArray("logprobs");
                    for (float f : o.logProbs()) lp.add(f);
                    out.println(Json.compact(n));
                } else {
                    String label = numGenerations > 1 ? i + "." + o.sampleIndex() : String.valueOf(i);
                    if (o.sampleIndex() == 0) {
                        out.println("--- prompt " + i + " ---");
                        out.println(prompts.get(i));
                    }
                    out.printf("--- completion %s (%s, %d tokens) ---%n", label, o.finishReason(), o.completionIds().length);
                    out.println(o.text());
                }
            }
        }
        return 0;
    }
}
