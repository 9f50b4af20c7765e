package dev.align.core.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A record component that is not a setting: {@link ConfigBinder} takes it from the defaults instance,
 * never from a map, and leaves it out of {@link ConfigBinder#toMap}. For what the caller decides (SFT
 * versus pretraining), not the user.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Unbound {}
