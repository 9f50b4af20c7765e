package dev.align.core.train;

/**
 * A position in a shuffled pass over n items, epoch after epoch: each epoch's order is {@link
 * EpochOrder#permutation}(n, seed, epoch), so (epoch, position) is all a checkpoint stores. The offline
 * trainer walks its dataset with one; online methods walk their prompts with one.
 */
public final class EpochCursor {
    private final int size;
    private final long seed;
    private int epoch;
    private int position;
    private int[] order;

    public EpochCursor(int size, long seed) {
        if (size <= 0) throw new IllegalArgumentException("nothing to walk: " + size + " items");
        this.size = size;
        this.seed = seed;
        this.order = EpochOrder.permutation(size, seed, 0);
    }

    /** The next {@code count} items, moving into the next epoch's order at the end of one. */
    public int[] next(int count) {
        int[] items = new int[count];
        for (int i = 0; i < count; i++) {
            if (position == size) seek(epoch + 1, 0);
            items[i] = order[position++];
        }
        return items;
    }

    public int epoch() {
        return epoch;
    }

    public int position() {
        return position;
    }

    /** Moves to a saved position. */
    public void seek(int epoch, int position) {
        if (epoch != this.epoch || order == null) order = EpochOrder.permutation(size, seed, epoch);
        this.epoch = epoch;
        this.position = position;
    }
}
