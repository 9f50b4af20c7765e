package dev.align.core.config;

import dev.align.core.BadInputException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds settings from a map (a YAML file, command-line flags, a pipeline recipe) into a config record,
 * the one way every method reads its settings.
 *
 * <p>Keys are the record's components in snake_case (Hugging Face / TRL names), or the name given by
 * {@link ConfigKey}. A component whose type is itself a record is flattened: its keys sit beside the
 * outer record's, as TRL's configs extend TrainingArguments ({@code SftConfig(TrainingConfig training,
 * boolean packing, ...)} takes {@code learning_rate} and {@code packing} side by side). Components
 * marked {@link Unbound} come from the defaults only.
 *
 * <p>Values are coerced to the component's type: {@code int}, {@code long}, {@code double}, {@code
 * float}, {@code boolean} (and their boxes, which also take null), {@code String}, enums (by name, any
 * case, {@code -} for {@code _}), {@link Path}, and {@code List}s of these (a list, or a
 * comma-separated string). Numbers may arrive as strings ({@code "1e-5"}: YAML 1.1 reads it as one).
 * Keys not set keep the defaults instance's value. Layers apply in order, later ones winning.
 *
 * <p>Every problem is one line naming the source and the key: {@code sft.yaml: key 'learning_rte':
 * unknown (did you mean 'learning_rate'?)}, {@code x.yaml: key 'max_steps': expected an integer, got
 * 'ten'}. A record's compact constructor validates the result and throws {@link
 * InvalidSettingException}; the message then names the source that set the key.
 */
public final class ConfigBinder<T extends Record> {
    private static final Map<Class<?>, ConfigBinder<?>> CACHE = new ConcurrentHashMap<>();

    /** One layer of settings: the values and where they came from ("sft.yaml", "command line"). */
    public record Source(String name, Map<String, ?> values) {}

    /** One key: its name, value type ({@code genericType} tells a list's elements) and help line. */
    public record Setting(String key, Class<?> type, Type genericType, String help) {}

    private final Class<T> type;
    private final Node root;
    private final Map<String, Setting> settings = new LinkedHashMap<>();

    private ConfigBinder(Class<T> type) {
        this.type = type;
        this.root = new Node(type, settings);
    }

    /** The binder of a config record type. */
    @SuppressWarnings("unchecked")
    public static <T extends Record> ConfigBinder<T> of(Class<T> type) {
        return (ConfigBinder<T>) CACHE.computeIfAbsent(type, t -> new ConfigBinder<>(type));
    }

    /** Every key, in component order (nested records in place). */
    public List<Setting> settings() {
        return List.copyOf(settings.values());
    }

    /** {@code defaults} with the keys of {@code values} replaced. */
    public T bind(T defaults, Map<String, ?> values, String source) {
        return bind(defaults, List.of(new Source(source, values)));
    }

    /** {@code defaults}, then each layer in order (defaults &lt; YAML &lt; flags). */
    public T bind(T defaults, List<Source> layers) {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        String last = "defaults";
        for (Source layer : layers) {
            for (Map.Entry<String, ?> e : layer.values().entrySet()) {
                Setting s = settings.get(e.getKey());
                if (s == null) throw new BadInputException(layer.name() + ": key '" + e.getKey() + "': unknown" + suggestion(e.getKey()));
                try {
                    values.put(s.key(), coerce(e.getValue(), s.type(), s.genericType()));
                } catch (IllegalArgumentException ex) {
                    throw new BadInputException(layer.name() + ": key '" + s.key() + "': " + ex.getMessage());
                }
                origin.put(s.key(), layer.name());
                last = layer.name();
            }
        }
        try {
            return type.cast(root.construct(defaults, values));
        } catch (InvalidSettingException e) {
            String where = origin.getOrDefault(e.key(), last);
            throw new BadInputException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(last + ": " + e.getMessage());
        }
    }

    /** Every setting's value under its key, in {@link #settings()} order: enums by lower-case name, paths as strings. */
    public Map<String, Object> toMap(T config) {
        Map<String, Object> out = new LinkedHashMap<>();
        root.collect(config, out);
        return out;
    }

    /** {@code learningRate} → {@code learning_rate}, {@code adamBeta1} → {@code adam_beta1}. */
    public static String snakeCase(String camel) {
        StringBuilder b = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) b.append('_').append(Character.toLowerCase(c));
            else b.append(c);
        }
        return b.toString();
    }

    // ---- the record tree ----

    /** A record type: its components, each a setting, a nested record, or unbound. */
    private static final class Node {
        final Constructor<?> constructor;
        final RecordComponent[] components;
        final String[] keys; // null for nested and unbound components
        final Node[] nested;

        Node(Class<?> type, Map<String, Setting> settings) {
            components = type.getRecordComponents();
            keys = new String[components.length];
            nested = new Node[components.length];
            Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
            try {
                constructor = type.getDeclaredConstructor(types);
                constructor.setAccessible(true);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                c.getAccessor().setAccessible(true);
                if (c.isAnnotationPresent(Unbound.class)) continue;
                if (c.getType().isRecord()) {
                    nested[i] = new Node(c.getType(), settings);
                    continue;
                }
                ConfigKey k = c.getAnnotation(ConfigKey.class);
                String key = k != null && !k.value().isEmpty() ? k.value() : snakeCase(c.getName());
                if (settings.containsKey(key)) {
                    throw new IllegalStateException(type.getName() + ": key '" + key + "' defined twice");
                }
                checkSupported(type, c);
                keys[i] = key;
                settings.put(key, new Setting(key, c.getType(), c.getGenericType(), k == null ? "" : k.help()));
            }
        }

        Object construct(Object defaults, Map<String, Object> values) {
            Object[] args = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                Object old = get(components[i], defaults);
                if (nested[i] != null) args[i] = nested[i].construct(old, values);
                else if (keys[i] != null && values.containsKey(keys[i])) args[i] = values.get(keys[i]);
                else args[i] = old;
            }
            try {
                return constructor.newInstance(args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        void collect(Object config, Map<String, Object> out) {
            for (int i = 0; i < components.length; i++) {
                Object v = get(components[i], config);
                if (nested[i] != null) nested[i].collect(v, out);
                else if (keys[i] != null) out.put(keys[i], plain(v));
            }
        }

        private static Object get(RecordComponent c, Object record) {
            try {
                return c.getAccessor().invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void checkSupported(Class<?> owner, RecordComponent c) {
            Class<?> t = c.getType();
            Class<?> element = t == List.class ? elementType(c.getGenericType()) : t;
            if (element == null || !isScalar(element)) {
                throw new IllegalStateException(owner.getName() + "." + c.getName() + ": unsupported setting type " + c.getGenericType());
            }
        }
    }

    private static boolean isScalar(Class<?> t) {
        return t == int.class || t == Integer.class || t == long.class || t == Long.class || t == double.class
                || t == Double.class || t == float.class || t == Float.class || t == boolean.class || t == Boolean.class
                || t == String.class || t == Path.class || t.isEnum();
    }

    private static Class<?> elementType(Type generic) {
        if (generic instanceof ParameterizedType p && p.getActualTypeArguments()[0] instanceof Class<?> c) return c;
        return null;
    }

    // ---- values ----

    /** A value in the type a setting holds; the message of the IllegalArgumentException is "expected ..., got '...'". */
    static Object coerce(Object v, Class<?> type, Type generic) {
        if (type == List.class) {
            Class<?> element = elementType(generic);
            List<?> items;
            if (v == null) return null;
            if (v instanceof List<?> l) items = l;
            else if (v instanceof String s) items = s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).toList();
            else items = List.of(v);
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                try {
                    out.add(coerce(items.get(i), element, element));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("item " + (i + 1) + ": " + e.getMessage());
                }
            }
            return Collections.unmodifiableList(out);
        }
        if (v == null) {
            if (type.isPrimitive()) throw expected(type, null);
            return null;
        }
        if (type == int.class || type == Integer.class) {
            long l = integral(v, type);
            if (l != (int) l) throw new IllegalArgumentException("out of range for an int: " + v);
            return (int) l;
        }
        if (type == long.class || type == Long.class) return integral(v, type);
        if (type == double.class || type == Double.class) return number(v, type);
        if (type == float.class || type == Float.class) return (float) number(v, type);
        if (type == boolean.class || type == Boolean.class) {
            if (v instanceof Boolean b) return b;
            if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) return Boolean.parseBoolean(s);
            throw expected(type, v);
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) throw expected(type, v);
        if (type == String.class) return v.toString();
        if (type == Path.class) return Path.of(v.toString());
        if (type.isEnum()) {
            String name = v.toString().trim().replace('-', '_');
            for (Object c : type.getEnumConstants()) {
                if (((Enum<?>) c).name().equalsIgnoreCase(name)) return c;
            }
            throw expected(type, v);
        }
        throw new IllegalStateException("unsupported setting type " + type);
    }

    private static long integral(Object v, Class<?> type) {
        BigDecimal d = decimal(v, type);
        BigInteger whole;
        try {
            whole = d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw expected(type, v);
        }
        if (whole.bitLength() > 63) throw new IllegalArgumentException("out of range for a long: " + v);
        return whole.longValue();
    }

    private static double number(Object v, Class<?> type) {
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw expected(type, v);
            }
        }
        throw expected(type, v);
    }

    private static BigDecimal decimal(Object v, Class<?> type) {
        try {
            if (v instanceof BigInteger b) return new BigDecimal(b);
            if (v instanceof BigDecimal b) return b;
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return BigDecimal.valueOf(((Number) v).longValue());
            if (v instanceof Number n && Double.isFinite(n.doubleValue())) return BigDecimal.valueOf(n.doubleValue());
            if (v instanceof String s) return new BigDecimal(s.trim());
        } catch (NumberFormatException e) {
            // falls through
        }
        throw expected(type, v);
    }

    private static IllegalArgumentException expected(Class<?> type, Object got) {
        String what;
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) what = "an integer";
        else if (type == double.class || type == Double.class || type == float.class || type == Float.class) what = "a number";
        else if (type == boolean.class || type == Boolean.class) what = "true or false";
        else if (type.isEnum()) what = "one of " + String.join(", ", Arrays.stream(type.getEnumConstants())
                .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).toList());
        else if (type == Path.class) what = "a path";
        else what = "a string";
        return new IllegalArgumentException("expected " + what + ", got " + (got == null ? "null" : "'" + got + "'"));
    }

    /** How a value is written to config.yaml: enums by lower-case name, paths as strings. */
    private static Object plain(Object v) {
        if (v instanceof Enum<?> e) return e.name().toLowerCase(Locale.ROOT);
        if (v instanceof Path p) return p.toString();
        if (v instanceof List<?> l) return l.stream().map(ConfigBinder::plain).toList();
        return v;
    }

    // ---- suggestions ----

    /** " (did you mean 'k'?)" for the nearest key within a few edits, or the one key containing it; else "". */
    private String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : settings.keySet()) {
            int d = editDistance(key.toLowerCase(Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        if (best != null && bestDistance <= Math.max(2, key.length() / 4)) return " (did you mean '" + best + "'?)";
        List<String> containing = settings.keySet().stream().filter(k -> key.length() >= 3 && k.contains(key)).toList();
        return containing.size() == 1 ? " (did you mean '" + containing.get(0) + "'?)" : "";
    }

    /** Levenshtein distance. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
