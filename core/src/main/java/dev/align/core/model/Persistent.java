package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Arrays that must outlive any {@link NDScope} open around their creation (weights, heads, optimizer
 * state): every array made while a scope is open is otherwise freed when that scope closes.
 */
public final class Persistent {
    private Persistent() {}

    public static NDArray keep(NDArray array) {
        NDScope.unregister(array);
        return array;
    }
}
