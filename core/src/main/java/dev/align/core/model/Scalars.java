package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Reads one-element arrays into Java numbers through a full copy ({@code toFloatArray}) rather than
 * DJL's {@code getFloat()} view. Adopted while chasing rare garbage values in reductions over
 * gradients; that bug turned out to need more (see {@code Gradients.globalNorm}), and whether the
 * view read ever contributed was not isolated.
 */
public final class Scalars {
    private Scalars() {}

    public static float toFloat(NDArray scalar) {
        return scalar.toType(DataType.FLOAT32, false).toFloatArray()[0];
    }
}
