import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Installs the JBang jars listed in jars.txt into a folder, for machines without JBang.
 *
 * <p>Run with the JDK's single-file launcher: {@code java Bootstrap.java JARS_TXT TARGET_DIR}.
 * Each jar is taken from the local Maven repository when it is there with the expected
 * SHA-256, else downloaded from Maven Central (or from CHANEMB_MAVEN_REPO, a mirror URL).
 * Everything goes into a temporary folder that is renamed to TARGET_DIR only when complete.
 */
public class Bootstrap {
    public static void main(String[] args) throws Exception {
        Path list = Path.of(args[0]);
        Path target = Path.of(args[1]);
        String repo = System.getenv().getOrDefault("CHANEMB_MAVEN_REPO", "https://repo.maven.apache.org/maven2");
        Path localRepo = Path.of(System.getenv().getOrDefault("JBANG_REPO",
                System.getProperty("user.home") + "/.m2/repository"));
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build();

        List<String> lines = Files.readAllLines(list);
        int done = 0;
        for (String line : lines) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            String[] gav = fields[0].split(":");
            String sha256 = fields[1];
            String relative = gav[0].replace('.', '/') + "/" + gav[1] + "/" + gav[2] + "/" + gav[1] + "-" + gav[2] + ".jar";
            Path jar = tmp.resolve(gav[1] + "-" + gav[2] + ".jar");
            Path cached = localRepo.resolve(relative);
            if (Files.isRegularFile(cached) && sha256(cached).equals(sha256)) {
                Files.copy(cached, jar);
            } else {
                download(http, URI.create(repo + "/" + relative), jar);
                String actual = sha256(jar);
                if (!actual.equals(sha256)) {
                    throw new IOException("Checksum mismatch for " + fields[0] + ": expected " + sha256 + ", got "
                            + actual + ". The download from " + repo + " was altered or incomplete.");
                }
            }
            done++;
        }
        deleteRecursively(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        System.err.println("[jbang] Installed JBang (" + done + " jars) into " + target);
    }

    private static void download(HttpClient http, URI uri, Path to) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            // No connection at all: say what was tried and how to fix it, without a stack trace.
            System.err.println("[jbang] Cannot download " + uri + ": " + e + ". Check the network, or set"
                    + " CHANEMB_MAVEN_REPO to a reachable Maven mirror, or install JBang and put it on the PATH.");
            System.exit(1);
            return;
        }
        if (response.statusCode() != 200) {
            throw new IOException("Download of " + uri + " failed with HTTP " + response.statusCode()
                    + ". Check the network, or set CHANEMB_MAVEN_REPO to a reachable Maven mirror.");
        }
        try (InputStream in = response.body()) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
