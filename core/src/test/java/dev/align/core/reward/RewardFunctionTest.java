package dev.align.core.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.align.core.BadInputException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardFunctionTest {

    /** A user's reward function: the completion's length in characters. */
    public static final class CompletionLength implements RewardFunction {
        @Override
        public float[] rewards(List<Sample> samples) {
            float[] out = new float[samples.size()];
            for (int i = 0; i < out.length; i++) out[i] = samples.get(i).completion().length();
            return out;
        }
    }

    /** Not loadable: no public no-argument constructor. */
    public static final class NeedsArgument implements RewardFunction {
        public NeedsArgument(int x) {}

        @Override
        public float[] rewards(List<Sample> samples) {
            return new float[samples.size()];
        }
    }

    static Sample row(String completion, String answer, String verifier) {
        return Sample.ofText("Q", completion, verifier == null ? Map.of("answer", answer) : Map.of("answer", answer, "verifier", verifier));
    }

    @Test
    void verifierRewardReadsAnswerAndVerifierFromTheRow() {
        List<Sample> samples = List.of(row("3 + 4 = 7.", "7", "number"), row("I think the answer is B.", "B", "choice"),
                row("The capital is not Paris", "Paris", null), row("The total is 1,000.", "1000", "number"),
                row("Maybe 7, or 8.", "7", "number"));
        assertArrayEquals(new float[] {1, 1, 0, 1, 0}, new VerifierReward().rewards(samples));
        assertEquals("7", new VerifierReward().verdict(samples.get(0), 0).extracted());
        // The default verifier applies where the row has none.
        assertArrayEquals(new float[] {1}, new VerifierReward("number").rewards(List.of(row("It is 12.", "12", null))));

        BadInputException missing = assertThrows(BadInputException.class,
                () -> new VerifierReward().rewards(List.of(samples.get(0), Sample.ofText("Q", "7", Map.of()))));
        assertEquals("sample 1: field 'answer': missing", missing.getMessage());
        BadInputException unknown = assertThrows(BadInputException.class,
                () -> new VerifierReward().rewards(List.of(row("7", "7", "vibes"))));
        assertEquals("sample 0: field 'verifier': unknown verifier 'vibes' (number, choice, exact, regex:PATTERN)", unknown.getMessage());
    }

    @Test
    void weightedSumAddsWeightedRewards() {
        List<Sample> samples = List.of(row("7", "7", "number"), row("8", "7", "number"), row("seven!", "7", "number"));
        RewardFunction sum = WeightedSum.of(2.0, new VerifierReward(), 0.5, new CompletionLength());
        // 2·[1, 0, 0] + 0.5·[1, 1, 6]
        assertArrayEquals(new float[] {2.5f, 0.5f, 3.0f}, sum.rewards(samples));
        assertThrows(IllegalArgumentException.class, () -> new WeightedSum(List.of()));
    }

    @Test
    void aUsersClassLoadsByNameAndBadNamesAreOneLine() {
        RewardFunction f = RewardFunction.load("dev.align.core.reward.RewardFunctionTest$CompletionLength");
        assertArrayEquals(new float[] {3, 0}, f.rewards(List.of(Sample.ofText("p", "abc", null), Sample.ofText("p", "", null))));
        assertEquals("CompletionLength", f.name());
        assertEquals("reward function 'com.example.Nope': class not found on the classpath",
                assertThrows(BadInputException.class, () -> RewardFunction.load("com.example.Nope")).getMessage());
        assertEquals("reward function 'java.lang.String': does not implement dev.align.core.reward.RewardFunction",
                assertThrows(BadInputException.class, () -> RewardFunction.load("java.lang.String")).getMessage());
        assertEquals("reward function 'dev.align.core.reward.RewardFunctionTest$NeedsArgument': needs a public no-argument constructor",
                assertThrows(BadInputException.class,
                        () -> RewardFunction.load("dev.align.core.reward.RewardFunctionTest$NeedsArgument")).getMessage());
    }
}
