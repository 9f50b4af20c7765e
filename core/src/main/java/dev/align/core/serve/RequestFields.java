package dev.align.core.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of a request's JSON fields; a field of the wrong type or range is a 400 naming it. */
final class RequestFields {
    private final ObjectNode body;

    RequestFields(ObjectNode body) {
        this.body = body;
    }

    JsonNode get(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    double number(String name, double fallback, double min, double max) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isNumber()) throw ApiError.badField(name, "'" + name + "' must be a number, got " + n);
        double v = n.asDouble();
        if (!(v >= min && v <= max)) throw outOfRange(name, n, v < min, min, max, max >= Float.MAX_VALUE);
        return v;
    }

    long integer(String name, long fallback, long min, long max) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        boolean integral = n.isIntegralNumber() || n.isNumber() && n.asDouble() == Math.rint(n.asDouble()); // 5.0, as pydantic takes it
        if (!integral || !n.canConvertToLong()) {
            throw ApiError.badField(name, "'" + name + "' must be an integer, got " + n);
        }
        long v = n.asLong();
        if (v < min || v > max) throw outOfRange(name, n, v < min, min, max, max >= Integer.MAX_VALUE);
        return v;
    }

    /** "'temperature' must be >= 0, got -1": the upper end named only when it is a real limit (or exceeded). */
    private static ApiError outOfRange(String name, JsonNode given, boolean below, double min, double max, boolean noRealMax) {
        String range = below && noRealMax ? ">= " + plain(min) : "in [" + plain(min) + ", " + plain(max) + "]";
        return ApiError.badField(name, "'" + name + "' must be " + range + ", got " + given);
    }

    /** 0 rather than 0.0; 0.5 as is. */
    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    boolean bool(String name, boolean fallback) {
        JsonNode n = get(name);
        if (n == null) return fallback;
        if (!n.isBoolean()) throw ApiError.badField(name, "'" + name + "' must be true or false, got " + n);
        return n.asBoolean();
    }

    String text(String name) {
        JsonNode n = get(name);
        if (n == null) return null;
        if (!n.isTextual()) throw ApiError.badField(name, "'" + name + "' must be a string, got " + n);
        return n.asText();
    }

    /** A string or a list of strings (OpenAI's {@code stop} and {@code prompt}); empty when absent. */
    List<String> texts(String name) {
        JsonNode n = get(name);
        List<String> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isTextual()) {
            out.add(n.asText());
            return out;
        }
        if (!n.isArray()) throw ApiError.badField(name, "'" + name + "' must be a string or a list of strings, got " + n);
        for (JsonNode e : n) {
            if (!e.isTextual()) throw ApiError.badField(name, "'" + name + "' must be a string or a list of strings, got " + e);
            out.add(e.asText());
        }
        return out;
    }
}
