package chanemb;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * Runs a script's picocli command: prepares the process (language, logging, DJL offline mode),
 * executes, and turns the outcome into an exit code.
 *
 * <p>Exit codes: 0 success, 1 failure, 2 invalid input or configuration (the message names the
 * value and the fix). Stack traces are printed only with {@code --verbose}.
 */
public final class Cli {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int INVALID = 2;

    private Cli() {
    }

    /** Runs a command in this process and returns its exit code. */
    public static int execute(Object command, String... args) {
        boolean verbose = hasFlag(args, "-v", "--verbose");
        boolean quiet = hasFlag(args, "-q", "--quiet");
        prepareProcess(verbose, quiet);
        Messages.useLanguage(optionValue(args, "--lang", System.getenv("CHANEMB_LANG")));

        CommandLine commandLine = new CommandLine(command);
        commandLine.setResourceBundle(Messages.bundle());
        commandLine.setExecutionExceptionHandler((error, cl, parseResult) -> report(error, verbose));
        commandLine.setOut(new PrintWriter(System.out, true));
        commandLine.setErr(new PrintWriter(System.err, true));
        return commandLine.execute(args);
    }

    /**
     * Sets what must be set before any library class loads: DJL telemetry and downloads off,
     * headless charts, and the SLF4J simple logger writing "[LEVEL] message" to standard error.
     */
    public static void prepareProcess(boolean verbose, boolean quiet) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("java.awt.headless", "true");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showLogName", "false");
        setDefault("org.slf4j.simpleLogger.levelInBrackets", "true");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : quiet ? "warn" : "info");
        // Third-party libraries speak only when something is wrong, unless --verbose. DJL warns
        // about missing CUDA and its model repository on every start, so it gets errors only.
        for (String name : new String[] {"io.zonky", "org.jdbi", "org.postgresql", "ai.onnxruntime"}) {
            setDefault("org.slf4j.simpleLogger.log." + name, verbose ? "debug" : "warn");
        }
        setDefault("org.slf4j.simpleLogger.log.ai.djl", verbose ? "debug" : "error");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static int report(Exception error, boolean verbose) {
        if (error instanceof UserException) {
            Log.error("cli.error", error.getMessage());
            if (verbose) {
                error.printStackTrace();
            }
            return INVALID;
        }
        Log.error("cli.unexpected", error.getClass().getSimpleName(), String.valueOf(error.getMessage()));
        if (verbose) {
            error.printStackTrace();
        } else {
            Log.error("cli.see-verbose");
        }
        return FAILED;
    }

    /**
     * Returns the project root, the folder that contains {@code scripts/}. Taken from the system property
     * {@code chanemb.root}, else from the running JBang script's location, else the working folder.
     */
    public static Path projectRoot() {
        String explicit = System.getProperty("chanemb.root", System.getenv("CHANEMB_ROOT"));
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath().normalize();
        }
        String source = System.getProperty("jbang.source");
        if (source != null) {
            Path dir = Path.of(source).toAbsolutePath().getParent();
            while (dir != null) {
                if (Files.isDirectory(dir.resolve("scripts")) && Files.isDirectory(dir.resolve("lib"))) {
                    return dir;
                }
                dir = dir.getParent();
            }
        }
        return Path.of("").toAbsolutePath();
    }

    private static boolean hasFlag(String[] args, String... names) {
        return Arrays.stream(args).anyMatch(arg -> Arrays.asList(names).contains(arg));
    }

    private static String optionValue(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        return fallback;
    }
}
