package dev.align.core.train;

import java.util.Random;

/**
 * Random streams derived from coordinates rather than carried as state: {@code derive(seed, a, b)}
 * is a fixed function of its arguments (SplitMix64 mixing, as {@link java.util.SplittableRandom}),
 * so a stream for (seed, step, ...) is the same in an uninterrupted run and in a resumed one and a
 * checkpoint stores no generator state.
 */
public final class Seeds {
    private Seeds() {}

    /** The trainer's stream for shuffling an online batch's rows into mini-batches. */
    public static final long MINI_BATCHES = 0x6d696e69L;

    /** A 64-bit seed for the stream at these coordinates (e.g. a stream label and the step). */
    public static long derive(long seed, long... coordinates) {
        long h = mix(seed);
        for (long c : coordinates) h = mix(h ^ mix(c));
        return h;
    }

    /** A generator for the stream at these coordinates. */
    public static Random random(long seed, long... coordinates) {
        return new Random(derive(seed, coordinates));
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection that scatters nearby inputs. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
