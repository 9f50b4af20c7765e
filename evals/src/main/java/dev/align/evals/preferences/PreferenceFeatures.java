package dev.align.evals.preferences;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.UserClass;
import java.util.List;
import java.util.Map;

/**
 * Interpretable features of one response in a preference row, for {@link PreferenceAnalysis}: the
 * analysis regresses "chosen over rejected" on the differences of these features. The built-in set
 * is {@link SycophancyFeatures}; a user's own class, named with {@code --features CLASS}, reads any
 * preference file whose rows its code understands.
 *
 * <p>A feature with values other than 0 and 1 is standardised by the analysis (divided by its standard
 * deviation over all responses), so its coefficient is per standard deviation; 0/1 features are used
 * as they are.
 */
public interface PreferenceFeatures {

    /** Every feature this function can give, in the order the analysis prints them. */
    List<String> names();

    /**
     * The features of {@code response} (its text; the contents of its messages, joined by newlines)
     * given the whole row ({@code prompt}, {@code chosen}, {@code rejected} and any other columns).
     * A name left out is not available for this row; the analysis then leaves that feature out.
     */
    Map<String, Double> features(JsonNode row, String response);

    /** The column {@code row} lacks for {@code feature} (for the note saying why it was left out), or null. */
    default String missingField(JsonNode row, String feature) {
        return null;
    }

    /**
     * A user's feature function by its binary class name: public, on the classpath, implementing this
     * interface, with a public no-argument constructor; anything else is a one-line {@link
     * dev.align.core.BadInputException}.
     */
    static PreferenceFeatures load(String className) {
        return UserClass.instantiate(className, PreferenceFeatures.class, "feature function");
    }
}
