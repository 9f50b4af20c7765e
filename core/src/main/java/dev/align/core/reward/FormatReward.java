package dev.align.core.reward;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * 1.0 when the whole completion matches a regular expression, else 0.0: DeepSeek-R1's format reward (Guo et al.
 * 2025, §2.2.2, e.g. {@code <think>.*</think>\s*<answer>.*</answer>}), as TRL's examples write it with {@code
 * re.match(r"^...$", content, re.DOTALL)}. The pattern sees the completion's text as {@code .} matches newlines too.
 * Named {@code format} in metrics ({@code rewards/format/mean}).
 */
public final class FormatReward implements RewardFunction {
    private final Pattern pattern;

    /** @throws IllegalArgumentException with a one-line message when the pattern does not compile */
    public FormatReward(String regex) {
        try {
            this.pattern = Pattern.compile(regex, Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regular expression: " + e.getDescription());
        }
    }

    @Override
    public float[] rewards(List<Sample> samples) {
        float[] out = new float[samples.size()];
        for (int i = 0; i < out.length; i++) out[i] = pattern.matcher(samples.get(i).completion()).matches() ? 1f : 0f;
        return out;
    }

    @Override
    public String name() {
        return "format";
    }
}
