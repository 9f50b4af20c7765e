package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of every layer for the tokens seen so far, so each generation step feeds only the
 * new token. Entries outlive the per-step {@link NDScope}; {@link #close()} frees them.
 */
public final class KvCache implements AutoCloseable {
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    public KvCache(int layers) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** Tokens already cached (the past length of the next step). */
    public long length() {
        return length;
    }

    /**
     * Appends this step's k, v (B, Hkv, Tnew, D) for a layer; returns the full (B, Hkv, Tpast+Tnew, D).
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray fullV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        NDScope.unregister(fullK, fullV);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = fullK;
        values[layer] = fullV;
        if (layer == keys.length - 1) {
            length = fullK.getShape().get(2);
        }
        return new NDArray[] {fullK, fullV};
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
