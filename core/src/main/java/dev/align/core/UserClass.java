package dev.align.core;

import java.lang.reflect.InvocationTargetException;

/** A user's own implementation of one of our interfaces, named by its class on the command line. */
public final class UserClass {
    private UserClass() {}

    /**
     * A new instance of the class with binary name {@code className} (e.g. {@code com.example.Length},
     * or {@code com.example.Rewards$Length} for a nested class): public, on the classpath, implementing
     * {@code type}, with a public no-argument constructor. Anything else is a one-line {@link
     * BadInputException} that starts with {@code role 'className': }.
     */
    public static <T> T instantiate(String className, Class<T> type, String role) {
        String where = role + " '" + className + "': ";
        Class<?> found;
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            found = Class.forName(className, true, loader != null ? loader : type.getClassLoader());
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new BadInputException(where + "class not found on the classpath");
        } catch (ExceptionInInitializerError e) {
            throw new BadInputException(where + "failed to initialise: " + e.getCause());
        }
        if (!type.isAssignableFrom(found)) throw new BadInputException(where + "does not implement " + type.getName());
        try {
            return type.cast(found.getConstructor().newInstance());
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new BadInputException(where + "needs a public no-argument constructor");
        } catch (InstantiationException e) {
            throw new BadInputException(where + "is abstract or an interface");
        } catch (InvocationTargetException e) {
            throw new BadInputException(where + "constructor failed: " + e.getCause());
        }
    }
}
