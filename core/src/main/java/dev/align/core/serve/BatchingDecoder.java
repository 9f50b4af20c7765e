package dev.align.core.serve;

import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Decodes the requests that arrive while a batch is decoding together, in one {@link RolloutEngine#generate}
 * call per set of equal sampling settings (dynamic batching), on one thread.
 *
 * <p>A request's prompt p with seed s draws as prompt p of a call with seed s, whatever it is batched with:
 * every prompt is sent to the engine under seed 0 at the index {@link RolloutEngine#indexUnderSeed}(s, p, 0),
 * which draws the same random numbers. Two requests whose prompts would share an index (the same seed and
 * prompt number) go to separate calls. Batching changes only the float rounding of differently shaped matmuls.
 */
final class BatchingDecoder implements AutoCloseable {
    /** The engine's settings without the seed: requests with equal settings decode together. */
    record Settings(RolloutConfig config) {
        Settings {
            config = config.withSeed(0);
        }
    }

    /** @param prompts numbered as in the request: prompt {@code p.index()} draws as that prompt under the seed */
    private record Job(List<Prompt> prompts, long seed, Settings settings, CompletableFuture<List<Rollout>> result) {
        long[] indices() {
            long[] out = new long[prompts.size()];
            for (int p = 0; p < out.length; p++) out[p] = RolloutEngine.indexUnderSeed(seed, prompts.get(p).index(), 0);
            return out;
        }
    }

    /** What decodes a group: {@link RolloutEngine#generate} (a test injects failures). */
    interface Generator {
        List<Rollout> generate(List<Prompt> prompts, RolloutConfig config);
    }

    private final Generator engine;
    private final Object modelLock;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    /** Why the decoder stopped (closed, or an Error), or null while it runs. */
    private volatile ApiError stopped;

    /** @param modelLock held while decoding (other users of the model hold it too) */
    BatchingDecoder(RolloutEngine engine, Object modelLock) {
        this(engine::generate, modelLock);
    }

    BatchingDecoder(Generator engine, Object modelLock) {
        this.engine = engine;
        this.modelLock = modelLock;
        this.worker = new Thread(this::run, "align-serve-decoder");
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * The samples of one request: element {@code p·n + g} is sample g of prompt p, its {@code promptIndex} p, as
     * {@code engine.generate(Prompt.numbered(prompts), config)} returns them. Blocks until decoded.
     */
    List<Rollout> generate(List<int[]> prompts, RolloutConfig config) {
        return generateNumbered(Prompt.numbered(prompts), config);
    }

    /**
     * As {@link #generate}, for some of a request's prompts: prompt {@code q.index()} draws as that prompt of the
     * request and comes back with that {@code promptIndex}, in the given order.
     *
     * @throws ApiError 503 when the decoder has stopped; 500 when the decoding call failed with an Error
     */
    List<Rollout> generateNumbered(List<Prompt> prompts, RolloutConfig config) {
        try {
            return submitNumbered(prompts, config).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new ApiError(500, "server_error", "decoding failed: " + e.getCause(), null, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the decoder");
        }
    }

    /** Queues a request; its samples arrive in the future. */
    CompletableFuture<List<Rollout>> submit(List<int[]> prompts, RolloutConfig config) {
        return submitNumbered(Prompt.numbered(prompts), config);
    }

    private CompletableFuture<List<Rollout>> submitNumbered(List<Prompt> prompts, RolloutConfig config) {
        Job job = new Job(prompts, config.seed(), new Settings(config), new CompletableFuture<>());
        queue.add(job);
        // The worker sets `stopped` before it empties the queue for the last time: a job queued before it saw
        // the flag is emptied out by it, one queued after it is taken back here. Neither waits forever.
        ApiError why = stopped;
        if (why != null && queue.remove(job)) job.result.completeExceptionally(why);
        return job.result;
    }

    /** Why the decoder stopped (a 503 naming the cause), or null while it runs. */
    ApiError failure() {
        return stopped;
    }

    private void run() {
        List<Job> pending = new ArrayList<>(); // taken from the queue, not yet decoded
        try {
            while (!Thread.currentThread().isInterrupted()) {
                pending.add(queue.take());
                queue.drainTo(pending);
                while (!pending.isEmpty()) {
                    Settings settings = pending.get(0).settings;
                    List<Job> group = new ArrayList<>(), later = new ArrayList<>();
                    Set<Long> taken = new HashSet<>();
                    for (Job job : pending) {
                        long[] indices = job.indices();
                        boolean free = job.settings.equals(settings);
                        for (int p = 0; p < indices.length && free; p++) free = !taken.contains(indices[p]);
                        if (!free) {
                            later.add(job);
                            continue;
                        }
                        for (long i : indices) taken.add(i);
                        group.add(job);
                    }
                    pending = later;
                    decode(group, settings);
                }
            }
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable e) { // an Error from a decoding call (its requests have failed), or a bug here
            stopped = new ApiError(503, "server_error", "the decoder stopped after " + e + "; restart the server",
                    null, null);
        } finally {
            if (stopped == null) stopped = new ApiError(503, "server_error", "the server is shutting down", null, null);
            for (Job job : pending) job.result.completeExceptionally(stopped);
            for (Job job; (job = queue.poll()) != null;) job.result.completeExceptionally(stopped);
        }
    }

    private void decode(List<Job> group, Settings settings) {
        try {
            List<Prompt> prompts = new ArrayList<>();
            for (Job job : group) {
                long[] indices = job.indices();
                for (int p = 0; p < indices.length; p++) prompts.add(new Prompt(indices[p], job.prompts.get(p).ids()));
            }
            List<Rollout> all;
            synchronized (modelLock) {
                calls.incrementAndGet();
                all = engine.generate(prompts, settings.config);
            }
            int n = settings.config.numGenerations(), at = 0;
            for (Job job : group) {
                List<Rollout> mine = new ArrayList<>();
                for (Prompt q : job.prompts) {
                    for (int g = 0; g < n; g++, at++) {
                        Rollout r = all.get(at);
                        mine.add(new Rollout(q.index(), r.sampleIndex(), r.promptIds(), r.completionIds(), r.logProbs(),
                                r.finishReason(), r.text()));
                    }
                }
                job.result.complete(mine);
            }
        } catch (Throwable e) { // the requests fail (those answered stay so), none hangs; an Error also stops the decoder
            for (Job job : group) job.result.completeExceptionally(e);
            if (e instanceof Error error) throw error;
        }
    }

    /** Engine calls so far. */
    int calls() {
        return calls.get();
    }

    /** The decoding thread's state (BLOCKED: waiting for the model lock). */
    Thread.State workerState() {
        return worker.getState();
    }

    /** Requests waiting for the next batch. */
    int waiting() {
        return queue.size();
    }

    /** Stops the decoding thread, after the call in progress (an engine call cannot be interrupted) has ended. */
    @Override
    public void close() {
        worker.interrupt();
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
