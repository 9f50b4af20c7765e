package dev.align.core.config;

/**
 * A setting whose value a config record refuses, thrown from its compact constructor. {@link
 * ConfigBinder} turns it into a {@link dev.align.core.BadInputException} naming the source that set
 * the key: {@code sft.yaml: key 'learning_rate': must be > 0, got -1.0}.
 */
public final class InvalidSettingException extends IllegalArgumentException {
    private final String key;
    private final String problem;

    public InvalidSettingException(String key, String problem) {
        super("key '" + key + "': " + problem);
        this.key = key;
        this.problem = problem;
    }

    public String key() {
        return key;
    }

    public String problem() {
        return problem;
    }
}
