package dev.align.core.rollout;

import java.util.ArrayList;
import java.util.List;

/**
 * A prompt to continue.
 *
 * @param index its number in the caller's data (e.g. a dataset row); with the seed and the sample number
 *     it fixes the sample's random numbers, so the same prompt gets the same completions in any batch.
 *     Distinct within one call of {@link RolloutEngine#generate}
 * @param ids token ids, not empty
 */
public record Prompt(long index, int[] ids) {
    public Prompt {
        if (ids.length == 0) throw new IllegalArgumentException("prompt " + index + " is empty");
    }

    /** Prompts numbered 0, 1, ... in list order. */
    public static List<Prompt> numbered(List<int[]> ids) {
        List<Prompt> prompts = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) prompts.add(new Prompt(i, ids.get(i)));
        return prompts;
    }
}
