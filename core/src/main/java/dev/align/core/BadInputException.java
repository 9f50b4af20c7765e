package dev.align.core;

import java.nio.file.Path;

/**
 * A problem with what the user gave us: a file, a line, a field. The CLI prints its message as one
 * line and exits with code 2; the stack trace only with {@code --debug}.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: problem". */
    public static BadInputException in(Path file, String problem) {
        return new BadInputException(file + ": " + problem);
    }

    /** "FILE:LINE: field 'F': problem". */
    public static BadInputException at(Path file, long line, String field, String problem) {
        String where = file + ":" + line + ": ";
        return new BadInputException(field == null ? where + problem : where + "field '" + field + "': " + problem);
    }
}
