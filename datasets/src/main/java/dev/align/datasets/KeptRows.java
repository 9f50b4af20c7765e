package dev.align.datasets;

import dev.align.core.BadInputException;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The rows of a dataset a trainer trains on, and how many it left out, as TRL filters its tokenized
 * datasets (reward rows longer than max_length, DPO pairs whose prompt fills it).
 *
 * @param indices the kept rows' indices in the dataset, in order
 * @param dropped how many rows were left out
 */
public record KeptRows(int[] indices, int dropped) {

    /** The rows that pass {@code keep}; none passing is bad input, named by {@code why}. */
    public static KeptRows of(Dataset data, IntPredicate keep, String why) {
        int[] kept = new int[data.size()];
        int n = 0;
        for (int i = 0; i < data.size(); i++) if (keep.test(i)) kept[n++] = i;
        if (n == 0) throw BadInputException.in(data.file(), "all " + data.size() + " rows dropped: " + why);
        return new KeptRows(Arrays.copyOf(kept, n), data.size() - n);
    }

    public int size() {
        return indices.length;
    }

    /** Dataset indices of positions among the kept rows. */
    public int[] at(int[] positions) {
        int[] out = new int[positions.length];
        for (int i = 0; i < positions.length; i++) out[i] = indices[positions[i]];
        return out;
    }
}
