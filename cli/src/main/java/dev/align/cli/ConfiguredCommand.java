package dev.align.cli;

import dev.align.core.config.ConfigBinder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command whose settings are a config record: every key of the record becomes a flag ({@code
 * learning_rate} → {@code --learning-rate}) when {@link Main} builds the command line, and the same
 * keys are accepted in the {@code --config} YAML file.
 */
interface ConfiguredCommand<T extends Record> {
    /** Shorter names kept from before the flags were generated. */
    Map<String, String> SHORT_FLAGS = Map.of("per_device_train_batch_size", "--batch-size", "num_train_epochs", "--epochs",
            "gradient_accumulation_steps", "--grad-accum", "lr_scheduler_type", "--lr-scheduler",
            "precompute_ref_log_probs", "--precompute-ref-logprobs");

    Class<T> configType();

    /** The settings when neither the YAML file nor a flag gives a key. */
    T defaults();

    /** Adds the flags of a configured command to its spec (before parsing). */
    static void addFlags(CommandLine command) {
        if (!(command.getCommand() instanceof ConfiguredCommand<?> c)) return;
        addFlags(command.getCommandSpec(), c);
    }

    private static <T extends Record> void addFlags(CommandSpec spec, ConfiguredCommand<T> command) {
        ConfigBinder<T> binder = ConfigBinder.of(command.configType());
        Map<String, Object> defaults = binder.toMap(command.defaults());
        for (ConfigBinder.Setting s : binder.settings()) {
            String flag = "--" + s.key().replace('_', '-');
            String[] names = SHORT_FLAGS.containsKey(s.key()) ? new String[] {flag, SHORT_FLAGS.get(s.key())} : new String[] {flag};
            boolean bool = s.type() == boolean.class || s.type() == Boolean.class;
            Object value = defaults.get(s.key());
            String help = (s.help().isEmpty() ? s.key() : s.key() + ": " + s.help()) + (value == null ? "" : " (default: " + value + ")");
            spec.addOption(OptionSpec.builder(names)
                    .type(bool ? Boolean.class : String.class)
                    .arity(bool ? "0..1" : "1")
                    .paramLabel(label(s.type()))
                    .description(help)
                    .userObject(s.key())
                    .build());
        }
    }

    private static String label(Class<?> type) {
        if (type == boolean.class || type == Boolean.class) return "true|false";
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "<n>";
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) return "<x>";
        if (type.isEnum()) {
            return String.join("|", java.util.Arrays.stream(type.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).toList());
        }
        if (type == java.nio.file.Path.class) return "<path>";
        return "<value>";
    }

    /**
     * A {@code --config} file's keys, after the checks every command makes: a {@code command} key must name this
     * command ({@code qualified}, e.g. {@code cai sl}), and a {@code device} key sets the device unless
     * {@code --device} was given. The caller takes out its path keys, then binds the rest.
     */
    static Map<String, Object> configFile(java.nio.file.Path config, String qualified, CommandSpec spec, DeviceOption device) {
        Map<String, Object> file = new LinkedHashMap<>(dev.align.core.config.ConfigFile.read(config));
        Object named = file.remove("command");
        if (named != null && !named.toString().equals(qualified)) {
            throw dev.align.core.BadInputException.in(config, "key 'command': the file is for 'align " + named + "', not 'align "
                    + qualified + "'");
        }
        Object dev = file.remove("device");
        if (dev != null && !spec.commandLine().getParseResult().hasMatchedOption("--device")) device.name = dev.toString();
        return file;
    }

    /** The settings given as flags, by key, in command-line order. */
    static Map<String, Object> flags(CommandSpec spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<OptionSpec> matched = spec.commandLine().getParseResult().matchedOptions();
        for (OptionSpec o : matched) {
            if (o.userObject() instanceof String key) { // only the generated flags carry their key
                out.put(key, o.getValue());
            }
        }
        return out;
    }
}
