package dev.align.core.rollout;

import java.util.Locale;

/** Why a sample ended, as HF and vLLM name it. */
public enum FinishReason {
    /** It produced an end-of-sequence token (kept as its last completion token). */
    EOS,
    /** Its text contains a stop string. */
    STOP,
    /** It reached {@code max_new_tokens}. */
    LENGTH;

    /** {@code eos}, {@code stop} or {@code length}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
