package dev.align.core.inference;

import dev.align.core.logprob.TextLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.rollout.ChatPrompt;
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
 * A model directory run in-process: prompts from {@link ChatPrompt}, replies from the
 * {@link RolloutEngine}, continuation log-probs from {@link TextLogProbs}. {@code align serve} answers with the
 * same calls, so an {@link EndpointModel} backed by it returns what this returns.
 */
public final class LocalModel implements InferenceModel {
    /** Rows per batched forward pass when scoring continuations. */
    static final int SCORE_BATCH = TextLogProbs.BATCH_ROWS;

    private final String name;
    private final PolicyModel model;
    private final boolean owned;
    private final RolloutEngine engine;
    private final TextLogProbs scorer;
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
        this.scorer = new TextLogProbs(model);
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

    /** The text the model continues: the chat template with a generation prompt, then any prefill ({@link ChatPrompt}). */
    public static String render(Tokenizer tokenizer, List<Message> conversation) {
        return ChatPrompt.render(tokenizer, conversation);
    }

    /** The prompt's ids: the rendered text encoded once, its special tokens written by the template. */
    public static int[] promptIds(Tokenizer tokenizer, List<Message> conversation) {
        return ChatPrompt.ids(tokenizer, conversation);
    }

    /**
     * How {@link #reply} samples: the rollout engine under {@code settings}, seed included (prompt i of the call
     * is conversation i; {@code align serve} gets the same samples from {@link RolloutEngine#seedAsFirstPrompt}).
     */
    private static RolloutConfig rolloutConfig(ReplySettings settings) {
        return (settings.temperature() == 0 ? RolloutConfig.greedy(settings.maxTokens())
                : RolloutConfig.sampling(settings.maxTokens(), (float) settings.temperature(), 0, (float) settings.topP(), 0))
                .withSeed(settings.seed()).withStopStrings(settings.stop());
    }

    @Override
    public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
        RolloutConfig config = rolloutConfig(settings).withMaxBatchSize(maxBatchSize).withThreads(threads);
        Reply[] replies = new Reply[conversations.size()];
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            int[] ids = promptIds(model.tokenizer(), conversations.get(i));
            if (!engine.fits(ids.length, settings.maxTokens())) replies[i] = new Reply("", Reply.TOO_LONG);
            else prompts.add(new Prompt(i, ids));
        }
        if (!prompts.isEmpty()) {
            for (Rollout r : engine.generate(prompts, config)) {
                replies[(int) r.promptIndex()] = new Reply(r.text(), r.finishReason().openAiName());
            }
        }
        return Arrays.asList(replies);
    }

    @Override
    public Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
        return Optional.of(scorer.continuations(prompts, continuations));
    }

    /**
     * Each option is appended to the rendered conversation ({@link ChatPrompt#render}: the prefill rule) and the
     * text encoded as {@link ChatPrompt#ids} encodes it. The longest token-id prefix the options share (cut to leave
     * each option one token at least) is the context, and each option's remaining tokens are scored
     * after it by one batched {@link TextLogProbs#tokens} call. Exact for any tokenizer: where a BPE merges the
     * prefill's last character with an option, the merged tokens are what is compared. A conversation whose
     * longest encoded option exceeds the model's positions gets a row of NaN.
     */
    @Override
    public List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options) {
        MultipleChoice.check(conversations, options);
        Tokenizer tokenizer = model.tokenizer();
        int k = options.size();
        List<int[]> contexts = new ArrayList<>(), tails = new ArrayList<>();
        List<Integer> fits = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            String rendered = ChatPrompt.render(tokenizer, conversations.get(i));
            int[][] ids = new int[k][];
            int shared = Integer.MAX_VALUE, longest = 0;
            for (int o = 0; o < k; o++) {
                ids[o] = tokenizer.encode(rendered + options.get(o), false);
                longest = Math.max(longest, ids[o].length);
                shared = Math.min(shared, ids[o].length - 1); // each option keeps a token of its own
                int differ = Arrays.mismatch(ids[0], ids[o]);
                if (differ >= 0) shared = Math.min(shared, differ);
            }
            if (longest > model.config().maxPositions()) continue; // NaN below
            fits.add(i);
            for (int o = 0; o < k; o++) {
                contexts.add(Arrays.copyOfRange(ids[o], 0, shared));
                tails.add(Arrays.copyOfRange(ids[o], shared, ids[o].length));
            }
        }
        List<TextLogProbs.Scored> scored = scorer.tokens(contexts, tails, 0);
        List<double[]> out = new ArrayList<>(conversations.size());
        for (int i = 0; i < conversations.size(); i++) {
            double[] row = new double[k];
            Arrays.fill(row, Double.NaN);
            out.add(row);
        }
        for (int j = 0; j < fits.size(); j++) {
            for (int o = 0; o < k; o++) out.get(fits.get(j))[o] = scored.get(j * k + o).sum(0);
        }
        return out;
    }

    @Override
    public void close() {
        if (owned) model.close();
    }
}
