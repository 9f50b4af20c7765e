package dev.align.evals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align.core.OfflineDjl;
import dev.align.core.logprob.CompletionBatch;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A model directory evaluated in-process: replies from the {@link RolloutEngine}, log-probs from
 * {@link LogProbs}. {@code align serve} answers with the same two calls, so an endpoint backed by it
 * returns what this returns.
 */
public final class LocalModel implements EvaluatedModel {
    /** Rows per batched forward pass when scoring continuations. */
    static final int SCORE_BATCH = 32;

    private final String name;
    private final PolicyModel model;
    private final boolean owned;
    private final RolloutEngine engine;
    private final int maxBatchSize;
    private final int threads;

    /**
     * @param owned close the model with this
     * @param maxBatchSize rows decoded together
     * @param threads intra-op threads while decoding (0: leave as is)
     */
    public LocalModel(String name, PolicyModel model, boolean owned, int maxBatchSize, int threads) {
        this.name = name;
        this.model = model;
        this.owned = owned;
        this.engine = new RolloutEngine(model);
        this.maxBatchSize = maxBatchSize;
        this.threads = threads;
    }

    public PolicyModel model() {
        return model;
    }

    public RolloutEngine engine() {
        return engine;
    }

    @Override
    public String name() {
        return name;
    }

    /** The text the model continues: the chat template with a generation prompt, then any prefill. */
    public static String render(Tokenizer tokenizer, List<Message> conversation) {
        if (conversation.isEmpty()) throw new IllegalArgumentException("empty conversation");
        Message last = conversation.get(conversation.size() - 1);
        if (last.role().equals("assistant")) {
            return tokenizer.chatTemplate().render(conversation.subList(0, conversation.size() - 1), true) + last.content();
        }
        return tokenizer.chatTemplate().render(conversation, true);
    }

    /** The prompt's ids: the rendered text encoded once, its special tokens written by the template. */
    public static int[] promptIds(Tokenizer tokenizer, List<Message> conversation) {
        return tokenizer.encode(render(tokenizer, conversation), false);
    }

    @Override
    public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
        RolloutConfig config = (settings.temperature() == 0 ? RolloutConfig.greedy(settings.maxTokens())
                : RolloutConfig.sampling(settings.maxTokens(), (float) settings.temperature(), 0, (float) settings.topP(), 0))
                .withSeed(settings.seed()).withStopStrings(settings.stop()).withMaxBatchSize(maxBatchSize)
                .withThreads(threads);
        Reply[] replies = new Reply[conversations.size()];
        List<Prompt> prompts = new ArrayList<>();
        int limit = model.config().maxPositions() - settings.maxTokens();
        for (int i = 0; i < conversations.size(); i++) {
            int[] ids = promptIds(model.tokenizer(), conversations.get(i));
            if (ids.length > limit) replies[i] = new Reply("", Reply.TOO_LONG);
            else prompts.add(new Prompt(i, ids));
        }
        if (!prompts.isEmpty()) {
            for (Rollout r : engine.generate(prompts, config)) {
                replies[(int) r.promptIndex()] = new Reply(r.text(), r.finishReason().name().toLowerCase(java.util.Locale.ROOT)
                        .replace("eos", "stop"));
            }
        }
        return Arrays.asList(replies);
    }

    @Override
    public Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
        if (prompts.size() != continuations.size()) throw new IllegalArgumentException("one continuation per prompt");
        Tokenizer tokenizer = model.tokenizer();
        int n = prompts.size();
        List<int[]> heads = new ArrayList<>(n), tails = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String prompt = prompts.get(i);
            Tokenizer.Spans s = tokenizer.encodeWithSpans(prompt + continuations.get(i), true);
            int k = 0;
            while (k < s.length() && s.start()[k] < prompt.length()) k++;
            if (k == 0 || k == s.length()) {
                throw new IllegalArgumentException("continuation " + i + " has no token of its own, or its prompt has none");
            }
            heads.add(Arrays.copyOfRange(s.ids(), 0, k));
            tails.add(Arrays.copyOfRange(s.ids(), k, s.length()));
        }
        double[] out = new double[n];
        try (OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            for (int from = 0; from < n; from += SCORE_BATCH) {
                int to = Math.min(n, from + SCORE_BATCH);
                try (NDManager scope = model.manager().newSubManager()) {
                    CompletionBatch batch = CompletionBatch.of(scope, heads.subList(from, to), tails.subList(from, to),
                            tokenizer.padId());
                    NDArray sums = LogProbs.DEFAULT.completions(model, batch).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    double[] part = sums.toDoubleArray();
                    System.arraycopy(part, 0, out, from, part.length);
                }
            }
        }
        return Optional.of(out);
    }

    @Override
    public void close() {
        if (owned) model.close();
    }
}
