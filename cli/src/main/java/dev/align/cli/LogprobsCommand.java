package dev.align.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.Json;
import dev.align.core.logprob.LogProbs;
import dev.align.core.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code align logprobs}: per-token log-probabilities of a text under a model. */
@Command(name = "logprobs", mixinStandardHelpOptions = true, description = "Per-token log-probabilities of a text.")
final class LogprobsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--text", required = true) String text;
    @Option(names = "--add-special-tokens", negatable = true, defaultValue = "true",
            description = "Apply the tokenizer's post-processor (BOS for Llama) (default: ${DEFAULT-VALUE}).")
    boolean addSpecial;
    @Option(names = "--json", description = "Print one JSON object.") boolean json;

    @Override
    public Integer call() {
        try (ModelOptions.Loaded loaded = modelOptions.load(); NDManager nd = loaded.manager().newSubManager()) {
            Tokenizer tok = loaded.model().tokenizer();
            int[] ids = tok.encode(text, addSpecial);
            if (ids.length < 2) throw new IllegalArgumentException("--text: need at least two tokens, got " + ids.length);
            long[] l = new long[ids.length];
            long[] m = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                l[i] = ids[i];
                m[i] = 1;
            }
            NDArray input = nd.create(l, new Shape(1, ids.length));
            float[] logp = LogProbs.DEFAULT.sequences(loaded.model(), input, nd.create(m, new Shape(1, ids.length)), null)
                    .logProbs().toFloatArray(); // (T−1): logp[i − 1] is token i's
            double sum = 0;
            for (float f : logp) sum += f;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode n = Json.MAPPER.createObjectNode();
                var tokens = n.putArray("tokens");
                var tid = n.putArray("token_ids");
                var lp = n.putArray("logprobs");
                for (int i = 0; i < ids.length; i++) {
                    tokens.add(tok.decode(new int[] {ids[i]}, false));
                    tid.add(ids[i]);
                    if (i == 0) lp.addNull(); else lp.add(logp[i - 1]);
                }
                n.put("sum_logprob", sum);
                n.put("mean_logprob", sum / logp.length);
                n.put("perplexity", Math.exp(-sum / logp.length));
                out.println(Json.compact(n));
            } else {
                out.printf("%-6s %-8s %-12s %s%n", "pos", "id", "logprob", "token");
                for (int i = 0; i < ids.length; i++) {
                    out.printf("%-6d %-8d %-12s %s%n", i, ids[i], i == 0 ? "-" : String.format("%.4f", logp[i - 1]),
                            Json.compact(tok.decode(new int[] {ids[i]}, false)));
                }
                out.printf("sum %.4f, mean %.4f, perplexity %.3f over %d predicted tokens%n", sum, sum / logp.length,
                        Math.exp(-sum / logp.length), logp.length);
            }
        }
        return 0;
    }
}
