package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the tokens seen so far, so each decoding step feeds only the new
 * tokens. Each layer's keys and values live in one preallocated (B, Hkv, capacity, D) array, allocated
 * on the first append and written in place; attention reads a view of the filled columns. Rows can be
 * selected (dropped or repeated) between steps. The arrays outlive the per-step {@link NDScope};
 * {@link #close()} frees them.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    /**
     * @param manager owns the cache arrays
     * @param layers one key and one value array per layer
     * @param capacity columns to reserve: the longest prompt plus the most new tokens
     */
    public KvCache(NDManager manager, int layers, int capacity) {
        this.manager = manager;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** Tokens already cached (the past length of the next step). */
    public long length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes this step's k, v (B, Hkv, Tnew, D) of a layer into columns [length, length+Tnew) and returns
     * views of columns [0, length+Tnew): (B, Hkv, Tpast+Tnew, D). The length advances after the last layer.
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        Shape s = k.getShape();
        long fresh = s.get(2);
        if (length + fresh > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + fresh + " > " + capacity + " columns");
        }
        if (keys[layer] == null) {
            Shape full = new Shape(s.get(0), s.get(1), capacity, s.get(3));
            keys[layer] = Persistent.keep(manager.zeros(full, k.getDataType()));
            values[layer] = Persistent.keep(manager.zeros(full, v.getDataType()));
        }
        NDIndex write = new NDIndex().addAllDim(2).addSliceDim(length, length + fresh);
        keys[layer].set(write, k);
        values[layer].set(write, v);
        NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, length + fresh);
        NDArray[] kv = {keys[layer].get(filled), values[layer].get(filled)};
        if (layer == keys.length - 1) {
            length += (int) fresh;
        }
        return kv;
    }

    /**
     * Keeps rows {@code rows[0], rows[1], ...} in that order: finished rows drop out, a prompt's row is
     * repeated for several samples. One copy per array.
     */
    public void selectRows(long[] rows) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray index = manager.create(rows);
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] == null) continue;
                NDArray k = Persistent.keep(keys[i].get(index));
                NDArray v = Persistent.keep(values[i].get(index));
                keys[i].close();
                values[i].close();
                keys[i] = k;
                values[i] = v;
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
        length = 0;
    }
}
