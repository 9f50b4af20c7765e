package dev.align.core.inference;

import dev.align.core.BadInputException;

/**
 * An OpenAI-compatible endpoint could not answer: connection refused, a timeout, an HTTP error with the
 * server's message, a malformed response. One line naming the endpoint and what went wrong; the CLI prints
 * it and exits with code 2 (it is a {@link BadInputException}), and a caller that catches it keeps the items
 * it has already scored.
 */
public final class EndpointException extends BadInputException {
    public EndpointException(String message) {
        super(message);
    }
}
