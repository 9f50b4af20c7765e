package dev.align.core;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.nio.ByteBuffer;

/**
 * A garbage collection on demand, as the JVM may run one at any allocation: unreachable direct
 * buffers (the memory of closed arrays DJL created from Java data) are freed by the time it returns.
 */
public final class GarbageCollection {
    private GarbageCollection() {}

    /** Collects until a fresh unreachable direct buffer has been processed, twice, so its cleaners have run. */
    public static void collectAndFree() {
        try {
            for (int round = 0; round < 2; round++) {
                ReferenceQueue<Object> queue = new ReferenceQueue<>();
                PhantomReference<Object> sentinel = new PhantomReference<>(ByteBuffer.allocateDirect(4), queue);
                for (int i = 0; i < 20 && queue.poll() == null; i++) {
                    System.gc();
                    queue.remove(100);
                }
                Reference.reachabilityFence(sentinel);
            }
            Thread.sleep(20); // the reference handler frees buffers queued after the sentinel
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
