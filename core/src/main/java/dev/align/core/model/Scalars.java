package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars between Java and NDArrays.
 *
 * <p>Never hand DJL a Java number for an op that autograd differentiates ({@code x.mul(0.5f)}, {@code
 * div(n)}, {@code pow(3)}, {@code maximum(0f)}, {@code minimum}, {@code rdiv}): DJL's PyTorch engine turns
 * the number into a 0-dim tensor over a direct {@code ByteBuffer} ({@code torch::from_blob}, no copy) and
 * closes that array as soon as the op returns. Autograd still holds the tensor for the backward pass
 * (d(x·c)/dx = c), but nothing holds the buffer: once the garbage collector frees it, backward reads freed
 * memory (malloc reuses it at once) and gradients come out wrong, or Inf/NaN, depending on when the GC
 * ran. Use {@link #constant} instead; its memory belongs to libtorch. Ops whose backward does not read
 * the number ({@code add}, {@code sub}, {@code clip}) and anything outside a gradient collector are safe.
 */
public final class Scalars {
    private Scalars() {}

    /** Reads a one-element array into a Java float through a full copy. */
    public static float toFloat(NDArray scalar) {
        return scalar.toType(DataType.FLOAT32, false).toFloatArray()[0];
    }

    /** A 0-dim array holding {@code value} with {@code like}'s type, manager and device, in memory libtorch owns. */
    public static NDArray constant(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
