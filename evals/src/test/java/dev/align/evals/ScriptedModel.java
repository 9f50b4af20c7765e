package dev.align.evals;

import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.ReplySettings;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToDoubleBiFunction;

/** An {@link InferenceModel} with scripted replies and log-probs, recording every call, for exact outcome tests. */
public final class ScriptedModel implements InferenceModel {
    private final String name;
    private final Function<List<Message>, String> replies;
    private final ToDoubleBiFunction<String, String> logProbs; // null: no log-probs
    /** The sizes of the reply() calls, in order. */
    public final List<Integer> replyCalls = new ArrayList<>();
    /** Every conversation asked, in order. */
    public final List<List<Message>> asked = new ArrayList<>();
    public int logProbCalls;
    /** reply() throws on this call (0-based), -1: never. */
    public int failOnReplyCall = -1;
    public boolean closed;

    public ScriptedModel(String name, Function<List<Message>, String> replies, ToDoubleBiFunction<String, String> logProbs) {
        this.name = name;
        this.replies = replies;
        this.logProbs = logProbs;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
        if (replyCalls.size() == failOnReplyCall) {
            replyCalls.add(conversations.size());
            throw new java.io.UncheckedIOException(new java.io.IOException("connection refused"));
        }
        replyCalls.add(conversations.size());
        List<Reply> out = new ArrayList<>();
        for (List<Message> c : conversations) {
            asked.add(c);
            out.add(new Reply(replies.apply(c), "stop"));
        }
        return out;
    }

    @Override
    public Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
        if (logProbs == null) return Optional.empty();
        logProbCalls++;
        double[] out = new double[prompts.size()];
        for (int i = 0; i < out.length; i++) out[i] = logProbs.applyAsDouble(prompts.get(i), continuations.get(i));
        return Optional.of(out);
    }

    /** Not scripted: the evals here read no options. */
    @Override
    public List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options) {
        throw new UnsupportedOperationException("ScriptedModel has no option log-probs");
    }

    @Override
    public void close() {
        closed = true;
    }
}
