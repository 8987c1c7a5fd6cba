package chanemb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the project's scripts the way users do: through ./jbang, with no standard input. */
public final class ScriptRunner {
    static final Path ROOT = Path.of("").toAbsolutePath();

    private ScriptRunner() {
    }

    public record Run(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    public static Run jbang(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("jbang").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // The scripts must not see the developer's database settings.
        for (String name : List.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "CHANEMB_DB_URL", "CHANEMB_LANG")) {
            builder.environment().remove(name);
        }
        builder.environment().put("CHANEMB_PROGRESS_SECONDS", "1");
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(15, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("Timed out: " + command);
        }
        // JBang's own build messages are not the script's output.
        String err = stderr.join().lines().filter(line -> !line.startsWith("[jbang]"))
                .reduce("", (a, b) -> a + b + "\n");
        return new Run(process.exitValue(), stdout.join(), err);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
