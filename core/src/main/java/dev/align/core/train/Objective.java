package dev.align.core.train;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.PolicyModel;
import java.util.Map;

/** What a method trains: a loss over micro-batches of example indices, and optionally an evaluation. */
public interface Objective {

    /** A micro-batch's loss and the metrics to average into the log (TRL names). */
    record Step(NDArray loss, Map<String, Double> metrics, long tokens) {}

    /** Number of training examples. */
    int size();

    /** Loss for these examples, computed inside a gradient collector. */
    Step loss(PolicyModel model, int[] examples);

    /** Metrics over the evaluation set (keys such as {@code eval/loss}), or an empty map if there is none. */
    Map<String, Double> evaluate(PolicyModel model);
}
