package dev.align.core.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names and documents one setting of a config record for {@link ConfigBinder}. Without it a
 * component's key is its name in snake_case ({@code learningRate} → {@code learning_rate}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface ConfigKey {
    /** The key (Hugging Face / TRL name); empty: the component's name in snake_case. */
    String value() default "";

    /** One line for {@code --help}. */
    String help() default "";
}
