package dev.align.core.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.io.Json;

/**
 * A request the server refuses, answered as OpenAI does: an HTTP status and
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class ApiError extends RuntimeException {
    static final String CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded";

    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error about one field. */
    static ApiError badField(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", getMessage());
        e.put("type", type);
        if (param == null) e.putNull("param");
        else e.put("param", param);
        if (code == null) e.putNull("code");
        else e.put("code", code);
        return root;
    }
}
