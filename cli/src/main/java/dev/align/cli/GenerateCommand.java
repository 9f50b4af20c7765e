package dev.align.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.generation.GenerationOutput;
import dev.align.core.generation.SamplingConfig;
import dev.align.core.io.Json;
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

/** {@code align generate}: sample continuations of one or more prompts. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Sample continuations of prompts.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, description = "A prompt; repeat for a batch.") List<String> prompts;
    @Option(names = "--chat", description = "Wrap each prompt as a user turn with the model's chat template.") boolean chat;
    @Option(names = "--max-new-tokens", defaultValue = "64") int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "0 = off.") int topK;
    @Option(names = "--top-p", defaultValue = "1.0") float topP;
    @Option(names = "--stop", description = "Stop string; repeatable.") List<String> stop = new ArrayList<>();
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--no-cache", description = "Recompute every step instead of using the KV cache.") boolean noCache;
    @Option(names = "--json", description = "One JSON object per prompt with token ids and log-probs.") boolean json;

    @Override
    public Integer call() {
        SamplingConfig cfg = new SamplingConfig(maxNewTokens, temperature, topK, topP, stop, !noCache, seed); // flags first
        try (ModelOptions.Loaded loaded = modelOptions.load()) {
            Tokenizer tok = loaded.model().tokenizer();
            List<int[]> ids = new ArrayList<>();
            for (String p : prompts) {
                String text = chat ? tok.chatTemplate().render(List.of(new ChatTemplate.Message("user", p)), true) : p;
                int[] encoded = tok.encode(text, !chat); // templates place BOS themselves
                if (encoded.length == 0) throw new IllegalArgumentException("--prompt: empty prompt");
                ids.add(encoded);
            }
            List<GenerationOutput> outs = loaded.model().generate(ids, cfg);
            PrintWriter out = spec.commandLine().getOut();
            for (int i = 0; i < outs.size(); i++) {
                GenerationOutput o = outs.get(i);
                if (json) {
                    ObjectNode n = Json.MAPPER.createObjectNode();
                    n.put("prompt", prompts.get(i));
                    n.put("completion", o.text());
                    n.put("finish_reason", o.finishReason());
                    var t = n.putArray("token_ids");
                    for (int id : o.tokens()) t.add(id);
                    var lp = n.putArray("logprobs");
                    for (float f : o.logProbs()) lp.add(f);
                    out.println(Json.compact(n));
                } else {
                    out.println(prompts.size() > 1 ? "[" + i + "] " + prompts.get(i) + o.text() : prompts.get(i) + o.text());
                }
            }
        }
        return 0;
    }
}
