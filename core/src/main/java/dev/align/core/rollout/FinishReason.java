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

    /** OpenAI's {@code finish_reason}: {@code stop} (an end-of-sequence token or a stop string) or {@code length}. */
    public String openAiName() {
        return this == LENGTH ? "length" : "stop";
    }

    /** {@code eos}, {@code stop} or {@code length}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
