package chanemb;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status messages to standard error through SLF4J, looked up in the message bundle.
 *
 * <p>Data goes to standard output or files; everything a user reads while a step runs goes
 * through here or through {@link Progress}.
 */
public final class Log {
    private static final Logger LOG = LoggerFactory.getLogger("chanemb");

    private Log() {
    }

    public static void info(String key, Object... args) {
        if (LOG.isInfoEnabled()) {
            LOG.info(Messages.get(key, args));
        }
    }

    public static void warn(String key, Object... args) {
        if (LOG.isWarnEnabled()) {
            LOG.warn(Messages.get(key, args));
        }
    }

    public static void error(String key, Object... args) {
        LOG.error(Messages.get(key, args));
    }

    /** Logs developer detail, in English and unlocalized, shown only with --verbose. */
    public static void debug(String text, Object... args) {
        LOG.debug(text, args);
    }

    public static boolean isDebug() {
        return LOG.isDebugEnabled();
    }

    public static boolean isInfo() {
        return LOG.isInfoEnabled();
    }
}
