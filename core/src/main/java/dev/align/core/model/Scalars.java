package dev.align.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Reads one-element arrays into Java numbers by copying. DJL's {@code getFloat()} on a 0-dim result
 * goes through a view and, rarely, returned garbage here (an Infinity gradient norm about once in
 * thirty training runs while every gradient element was finite); a copying read never did.
 */
public final class Scalars {
    private Scalars() {}

    public static float toFloat(NDArray scalar) {
        return scalar.toType(DataType.FLOAT32, false).toFloatArray()[0];
    }
}
