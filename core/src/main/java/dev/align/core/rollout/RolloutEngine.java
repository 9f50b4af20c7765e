package dev.align.core.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.align.core.OfflineDjl;
import dev.align.core.model.KvCache;
import dev.align.core.model.ModelConfig;
import dev.align.core.model.PolicyModel;
import dev.align.core.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Samples completions of prompts: the rollout phase of online RL (PPO, GRPO), evals and self-critique.
 *
 * <p>Rows (prompts × {@code num_generations}) are decoded in batches of at most {@code maxBatchSize},
 * longest prompts together. A batch's prompts are left-padded to one width P, so every row's next token
 * sits in the same column; each distinct prompt is prefilled once and its cache rows repeated for its
 * samples. Each step then feeds one token per row through a preallocated KV cache (B, Hkv, P +
 * max_new_tokens, D) per layer written in place, samples on the device ({@link TokenSampler}) and copies
 * back only the B tokens and their log-probs. Rows that finish drop out: once an eighth of the batch has
 * finished, the cache and the row state are compacted to the rows still running.
 *
 * <p>Sample g of prompt i draws its random numbers from its own generator seeded with (seed, i, g), so
 * its completion does not depend on batch size, batch composition or order (up to float rounding of
 * differently shaped matmuls). Gradient recording is off on the calling thread while it runs.
 *
 * <pre>{@code
 * List<Rollout> rollouts = new RolloutEngine(policy).generate(Prompt.numbered(promptIds),
 *         RolloutConfig.sampling(128, 1f, 0, 1f, 0f).withNumGenerations(8).withSeed(step));
 * RolloutBatch batch = RolloutBatch.of(rollouts, policy.tokenizer().padId());
 * }</pre>
 */
public final class RolloutEngine {
    private final PolicyModel model;
    private RolloutStats stats = RolloutStats.ZERO;

    public RolloutEngine(PolicyModel model) {
        this.model = model;
    }

    /** Steps, tokens and seconds over every call so far. */
    public synchronized RolloutStats stats() {
        return stats;
    }

    private synchronized void record(RolloutStats batch) {
        stats = stats.plus(batch);
    }

    /**
     * {@code numGenerations} samples of every prompt: element {@code i·numGenerations + g} is sample g of
     * {@code prompts.get(i)}.
     *
     * @throws IllegalArgumentException when two prompts share an index: they would draw the same random
     *     numbers, so repeating a prompt to get several samples would give identical completions (ask for
     *     {@code numGenerations} samples instead)
     */
    public List<Rollout> generate(List<Prompt> prompts, RolloutConfig config) {
        Set<Long> indices = new HashSet<>();
        for (Prompt p : prompts) {
            if (!indices.add(p.index())) {
                throw new IllegalArgumentException("prompt index " + p.index() + " appears twice: prompts with one "
                        + "index draw the same random numbers; for several samples of a prompt set numGenerations");
            }
        }
        int samples = config.numGenerations();
        int n = prompts.size() * samples;
        int longest = prompts.stream().mapToInt(p -> p.ids().length).max().orElse(0);
        ModelConfig mc = model.config();
        if (!fits(longest, config.maxNewTokens())) { // GPT-2 has no position past it; RoPE models were not trained there
            throw new IllegalArgumentException("prompt plus new tokens (" + longest + " + " + config.maxNewTokens() + ") exceed "
                    + (mc.family() == ModelConfig.Family.GPT2 ? "n_positions" : "max_position_embeddings") + " ("
                    + mc.maxPositions() + ")");
        }
        // Longest prompts first, so a batch holds prompts of similar length (less padding).
        int[] order = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparingInt(r -> -prompts.get(r / samples).ids().length))
                .mapToInt(Integer::intValue).toArray();
        Rollout[] out = new Rollout[n];
        try (OfflineDjl.NoGrad noGrad = OfflineDjl.noGrad()) {
            int before = config.threads() > 0 ? OfflineDjl.threads() : 0;
            if (config.threads() > 0 && config.threads() != before) OfflineDjl.setThreads(config.threads());
            try {
                for (int start = 0; start < n; start += config.maxBatchSize()) {
                    int[] rows = Arrays.copyOfRange(order, start, Math.min(n, start + config.maxBatchSize()));
                    new Batch(prompts, rows, config).decode(out);
                }
            } finally {
                if (config.threads() > 0 && config.threads() != before) OfflineDjl.setThreads(before);
            }
        }
        return List.of(out);
    }

    /**
     * Whether a prompt of {@code promptLength} tokens plus {@code maxNewTokens} fits the model's positions
     * ({@link #generate} refuses prompts that do not).
     */
    public boolean fits(int promptLength, int maxNewTokens) {
        return promptLength + maxNewTokens <= model.config().maxPositions();
    }

    /** The seed of sample g of prompt i: SplitMix64 over (seed, i, g). */
    static long sampleSeed(long seed, long promptIndex, int sample) {
        return mix(promptKey(seed, promptIndex) ^ mix(sample + SAMPLE_SALT));
    }

    /**
     * The seed under which prompt 0 of a call draws the random numbers prompt {@code promptIndex} draws
     * under {@code seed}. A client that sends the prompts of one batched call as separate requests, one
     * prompt each (as OpenAI's chat API takes them, each request's prompt being prompt 0), gets the same
     * samples by sending prompt i this seed.
     */
    public static long seedAsFirstPrompt(long seed, long promptIndex) {
        // promptKey(s', 0) = promptKey(seed, i)  ⇔  mix(s' ^ SEED_SALT) = unmix(key) ^ mix(INDEX_SALT); mix is a bijection
        return unmix(unmix(promptKey(seed, promptIndex)) ^ mix(INDEX_SALT)) ^ SEED_SALT;
    }

    /**
     * The prompt index under {@code commonSeed} that draws what prompt {@code promptIndex} draws under
     * {@code seed}: requests with different seeds decode in one call with one seed (a server batching requests).
     * Distinct (seed, index) pairs give distinct indices.
     */
    public static long indexUnderSeed(long seed, long promptIndex, long commonSeed) {
        // promptKey(common, j) = promptKey(seed, i)  ⇔  mix(j + INDEX_SALT) = unmix(key) ^ mix(common ^ SEED_SALT)
        return unmix(unmix(promptKey(seed, promptIndex)) ^ mix(commonSeed ^ SEED_SALT)) - INDEX_SALT;
    }

    private static final long SEED_SALT = 0x9E3779B97F4A7C15L, INDEX_SALT = 0x632BE59BD9B4E019L, SAMPLE_SALT = 0x85157AF5L;
    private static final long M1 = 0xBF58476D1CE4E5B9L, M2 = 0x94D049BB133111EBL;
    private static final long M1_INVERSE = inverse(M1), M2_INVERSE = inverse(M2);

    /** What every sample of prompt i under a seed starts from. */
    private static long promptKey(long seed, long promptIndex) {
        return mix(mix(seed ^ SEED_SALT) ^ mix(promptIndex + INDEX_SALT));
    }

    /** SplitMix64's finalizer, a bijection on 64-bit words. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * M1;
        z = (z ^ (z >>> 27)) * M2;
        return z ^ (z >>> 31);
    }

    /** The inverse of {@link #mix}. */
    private static long unmix(long z) {
        z = (z ^ (z >>> 31) ^ (z >>> 62)) * M2_INVERSE;
        z = (z ^ (z >>> 27) ^ (z >>> 54)) * M1_INVERSE;
        return z ^ (z >>> 30) ^ (z >>> 60);
    }

    /** m⁻¹ mod 2⁶⁴ for odd m (Newton: each step doubles the correct low bits, from 3). */
    private static long inverse(long m) {
        long x = m;
        for (int i = 0; i < 5; i++) x *= 2 - m * x;
        return x;
    }

    /** One batch of rows decoded together; slots are the rows still in the batch, in cache order. */
    private final class Batch {
        private final RolloutConfig cfg;
        private final Tokenizer tok;
        private final TokenSampler sampler;
        private final StopStrings stops;
        private final int[] eos;
        private final int[] globalRow; // local row → index into the output
        private final Prompt[] prompt; // local row → its prompt
        private final int[] sample;
        private final SplittableRandom[] rng;
        private final int[][] tokens; // local row → completion so far
        private final float[][] logProbs;
        private final int[] count;
        private final FinishReason[] reason;
        private final int width; // P
        private final int capacity; // P + max_new_tokens
        private int[] slotRow; // slot → local row
        private long[] ids; // (slots, capacity) row-major, left-padded prompt then completion
        private long[] mask;

        Batch(List<Prompt> prompts, int[] rows, RolloutConfig cfg) {
            this.cfg = cfg;
            this.tok = model.tokenizer();
            this.sampler = TokenSampler.of(cfg);
            this.stops = new StopStrings(tok, cfg.stopStrings());
            this.eos = cfg.eosTokenIds().isEmpty() ? tok.eosIds()
                    : cfg.eosTokenIds().stream().mapToInt(Integer::intValue).toArray();
            int n = rows.length, samples = cfg.numGenerations();
            globalRow = rows;
            prompt = new Prompt[n];
            sample = new int[n];
            rng = new SplittableRandom[n];
            tokens = new int[n][cfg.maxNewTokens()];
            logProbs = new float[n][cfg.maxNewTokens()];
            count = new int[n];
            reason = new FinishReason[n];
            int p = 0;
            for (int r = 0; r < n; r++) {
                prompt[r] = prompts.get(rows[r] / samples);
                sample[r] = rows[r] % samples;
                rng[r] = new SplittableRandom(sampleSeed(cfg.seed(), prompt[r].index(), sample[r]));
                p = Math.max(p, prompt[r].ids().length);
            }
            width = p;
            capacity = p + cfg.maxNewTokens();
            slotRow = IntStream.range(0, n).toArray();
            ids = new long[n * capacity];
            mask = new long[n * capacity];
            Arrays.fill(ids, tok.padId());
            for (int r = 0; r < n; r++) {
                int[] promptIds = prompt[r].ids();
                for (int i = 0; i < promptIds.length; i++) {
                    ids[r * capacity + width - promptIds.length + i] = promptIds[i];
                    mask[r * capacity + width - promptIds.length + i] = 1;
                }
            }
        }

        void decode(Rollout[] out) {
            try (NDManager nd = model.manager().newSubManager();
                    KvCache cache = cfg.useCache() ? new KvCache(nd, model.config().numLayers(), capacity) : null) {
                int running = slotRow.length;
                long produced = 0, prefill = 0, decoding = 0, sampling = 0;
                int step = 0;
                for (int known = width; step < cfg.maxNewTokens() && running > 0; step++, known++) {
                    boolean[] live = new boolean[slotRow.length];
                    for (int s = 0; s < live.length; s++) live[s] = reason[slotRow[s]] == null;
                    TokenSampler.Choice choice;
                    long t0 = System.nanoTime(), t1, t2;
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray logits = nextLogits(nd, cache, known); // (B, V); CPU ops run eagerly
                        t1 = System.nanoTime();
                        choice = sampler.sample(logits, live, s -> uniform(rng[slotRow[s]]));
                        t2 = System.nanoTime(); // freeing the step's arrays below is the step's cost, not sampling's
                    }
                    long t3 = System.nanoTime();
                    if (step == 0) {
                        prefill += t3 - t0;
                    } else {
                        decoding += t3 - t0;
                        sampling += t2 - t1;
                    }
                    produced += running;
                    for (int s = 0; s < live.length; s++) {
                        mask[s * capacity + known] = 1;
                        if (!live[s]) continue;
                        int r = slotRow[s];
                        int token = (int) choice.tokens()[s];
                        ids[s * capacity + known] = token;
                        tokens[r][count[r]] = token;
                        logProbs[r][count[r]++] = choice.logProbs()[s];
                        if (isEos(token)) {
                            reason[r] = FinishReason.EOS;
                        } else if (!stops.isEmpty() && stops.endsInStop(tokens[r], count[r])) {
                            reason[r] = FinishReason.STOP;
                        }
                        if (reason[r] != null) running--;
                    }
                    int finished = slotRow.length - running;
                    if (finished > 0 && running > 0 && finished * 8 >= slotRow.length) compact(cache, running);
                }
                record(new RolloutStats(step, produced, prefill / 1e9, decoding / 1e9, sampling / 1e9));
            }
            for (int r = 0; r < globalRow.length; r++) out[globalRow[r]] = rollout(r);
        }

        /** Logits (B, V) for the token after column {@code known − 1} of every slot. */
        private NDArray nextLogits(NDManager nd, KvCache cache, int known) {
            int slots = slotRow.length;
            int from = cache == null ? 0 : (int) cache.length(); // with a cache, feed only unseen columns
            if (from == 0 && cache != null) return prefill(nd, cache, known);
            NDArray hidden = model.hidden(columns(nd, ids, slotRow.length, from, known), seen(slots, known), cache);
            return lastLogits(hidden);
        }

        /** Each distinct prompt once; its cache rows and logits are then repeated for its samples. */
        private NDArray prefill(NDManager nd, KvCache cache, int known) {
            int slots = slotRow.length;
            Map<Prompt, Integer> first = new IdentityHashMap<>(); // a prompt's samples share its Prompt
            List<Integer> distinct = new ArrayList<>();
            long[] repeat = new long[slots];
            for (int s = 0; s < slots; s++) {
                Prompt key = prompt[slotRow[s]];
                Integer at = first.get(key);
                if (at == null) {
                    at = distinct.size();
                    first.put(key, at);
                    distinct.add(s);
                }
                repeat[s] = at;
            }
            if (distinct.size() == slots) {
                return lastLogits(model.hidden(columns(nd, ids, slots, 0, known), seen(slots, known), cache));
            }
            long[] uIds = new long[distinct.size() * capacity];
            long[] uMask = new long[distinct.size() * capacity];
            for (int u = 0; u < distinct.size(); u++) {
                System.arraycopy(ids, distinct.get(u) * capacity, uIds, u * capacity, capacity);
                System.arraycopy(mask, distinct.get(u) * capacity, uMask, u * capacity, capacity);
            }
            long[] uSeen = new long[distinct.size() * known];
            for (int u = 0; u < distinct.size(); u++) System.arraycopy(uMask, u * capacity, uSeen, u * known, known);
            NDArray logits = lastLogits(model.hidden(columns(nd, uIds, distinct.size(), 0, known), uSeen, cache));
            cache.selectRows(repeat);
            return logits.get(nd.create(repeat));
        }

        private NDArray lastLogits(NDArray hidden) {
            Shape s = hidden.getShape(); // (B, T, H)
            NDArray last = s.get(1) == 1 ? hidden : hidden.get(new NDIndex().addAllDim().addSliceDim(s.get(1) - 1, s.get(1)));
            NDArray logits = model.logits(last); // (B, 1, V)
            return logits.reshape(s.get(0), logits.getShape().get(2));
        }

        /** (B, to − from) int64 ids of columns [from, to). */
        private NDArray columns(NDManager nd, long[] source, int rows, int from, int to) {
            long[] feed = new long[rows * (to - from)];
            for (int s = 0; s < rows; s++) System.arraycopy(source, s * capacity + from, feed, s * (to - from), to - from);
            return nd.create(feed, new Shape(rows, to - from));
        }

        /** The mask of columns [0, known) of every slot, (B·known) row-major. */
        private long[] seen(int slots, int known) {
            long[] m = new long[slots * known];
            for (int s = 0; s < slots; s++) System.arraycopy(mask, s * capacity, m, s * known, known);
            return m;
        }

        /** Drops finished rows from the cache and the slot arrays. */
        private void compact(KvCache cache, int running) {
            long[] keep = new long[running];
            int[] rows = new int[running];
            long[] keptIds = new long[running * capacity];
            long[] keptMask = new long[running * capacity];
            for (int s = 0, k = 0; s < slotRow.length; s++) {
                if (reason[slotRow[s]] != null) continue;
                keep[k] = s;
                rows[k] = slotRow[s];
                System.arraycopy(ids, s * capacity, keptIds, k * capacity, capacity);
                System.arraycopy(mask, s * capacity, keptMask, k * capacity, capacity);
                k++;
            }
            if (cache != null) cache.selectRows(keep);
            slotRow = rows;
            ids = keptIds;
            mask = keptMask;
        }

        private boolean isEos(int token) {
            for (int e : eos) if (e == token) return true;
            return false;
        }

        private Rollout rollout(int r) {
            FinishReason why = reason[r] == null ? FinishReason.LENGTH : reason[r];
            int[] completion = Arrays.copyOf(tokens[r], count[r]);
            int textTokens = why == FinishReason.EOS ? count[r] - 1 : count[r];
            String text = tok.decode(Arrays.copyOf(completion, textTokens), true);
            if (why == FinishReason.STOP) text = stops.cut(text);
            return new Rollout(prompt[r].index(), sample[r], prompt[r].ids().clone(), completion,
                    Arrays.copyOf(logProbs[r], count[r]), why, text);
        }
    }

    /** A float in [0, 1 − 2⁻²⁴], 24 random bits. */
    static float uniform(SplittableRandom rng) {
        return (rng.nextInt() >>> 8) * 0x1.0p-24f;
    }
}
