package chanemb;

import java.text.MessageFormat;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * User-facing text in English and Russian, from the resource bundle {@code chanemb.messages}.
 *
 * <p>The language follows the JVM locale (set from {@code LANG} on Linux) unless
 * {@code CHANEMB_LANG} or the {@code --lang} option names another one. Only "en" and "ru"
 * have bundles; any other language falls back to English.
 */
public final class Messages {
    public static final String BUNDLE = "chanemb.messages";

    private static volatile ResourceBundle bundle;

    private Messages() {
    }

    /** Selects the language of messages and help, before any command line is parsed. */
    public static void useLanguage(String languageTag) {
        Locale locale = languageTag == null || languageTag.isBlank()
                ? Locale.getDefault()
                : Locale.forLanguageTag(languageTag.trim().replace('_', '-'));
        if (!locale.getLanguage().equals("ru")) {
            locale = Locale.ENGLISH;
        }
        // picocli reads the help bundle with the default locale, so it must change too.
        Locale.setDefault(locale);
        bundle = ResourceBundle.getBundle(BUNDLE, locale, Messages.class.getClassLoader(),
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    }

    /** Returns the language in use: "en" or "ru". */
    public static String language() {
        return bundle().getLocale().getLanguage().equals("ru") ? "ru" : "en";
    }

    /** Formats the message {@code key} with {@link MessageFormat} arguments. */
    public static String get(String key, Object... args) {
        String pattern;
        try {
            pattern = bundle().getString(key);
        } catch (MissingResourceException e) {
            // A missing key is a bug, but the user must still see the values.
            StringBuilder fallback = new StringBuilder(key);
            for (Object arg : args) {
                fallback.append(' ').append(arg);
            }
            return fallback.toString();
        }
        // Formatted even without arguments, so that a quoted apostrophe ('') prints as one.
        return new MessageFormat(pattern, bundle().getLocale()).format(args);
    }

    public static ResourceBundle bundle() {
        ResourceBundle current = bundle;
        if (current == null) {
            useLanguage(System.getenv("CHANEMB_LANG"));
            current = bundle;
        }
        return current;
    }
}
