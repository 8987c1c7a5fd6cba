package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading and running the model makes no outside connection. The probe JVM runs with a SOCKS
 * proxy on loopback that only counts connection attempts: Java sends every non-local socket
 * connection there instead of to its destination.
 */
class OfflineTest {
    @TempDir
    Path models;

    @Test
    void modelRunsWithoutConnectingAnywhere() throws Exception {
        ProbeRun run = runProbe("run");

        assertThat(run.exitCode).as(run.output).isZero();
        assertThat(run.output).contains("dimension=384");
        assertThat(run.attempts).as("outside connection attempts").isZero();
    }

    @Test
    void listenerSeesAnOutsideConnection() throws Exception {
        ProbeRun run = runProbe("control");

        assertThat(run.exitCode).as(run.output).isZero();
        assertThat(run.attempts).isPositive();
    }

    @Test
    void missingNativeJarIsNamed() throws Exception {
        String classpath = classpathWithout("onnxruntime-1.");
        Process process = new ProcessBuilder(javaBin(), "-cp", classpath, NetworkProbe.class.getName(),
                models.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isNotZero();
        assertThat(output).contains("com.microsoft.onnxruntime:onnxruntime:1.21.1");
    }

    private record ProbeRun(int exitCode, String output, int attempts) {
    }

    private ProbeRun runProbe(String mode) throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (Socket socket = listener.accept()) {
                        attempts.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            List<String> command = new ArrayList<>(List.of(javaBin(),
                    "-DsocksProxyHost=127.0.0.1", "-DsocksProxyPort=" + listener.getLocalPort(),
                    "-cp", System.getProperty("java.class.path"), NetworkProbe.class.getName(), models.toString(), mode));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            // Neither the telemetry switch nor DJL's offline flag is inherited: the probe sets them itself.
            builder.environment().remove("OPT_OUT_TRACKING");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            return new ProbeRun(process.exitValue(), output, attempts.get());
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The test class path with every entry whose file name starts with {@code prefix} removed. */
    private static String classpathWithout(String prefix) throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : expandedClasspath()) {
            if (!Path.of(entry).getFileName().toString().startsWith(prefix)) {
                entries.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** Surefire may pass the class path in a manifest-only jar; this reads it either way. */
    private static List<String> expandedClasspath() throws IOException {
        String classpath = System.getProperty("java.class.path");
        List<String> entries = new ArrayList<>();
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            if (entry.contains("surefirebooter") && entry.endsWith(".jar")) {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry)) {
                    String manifestPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    for (String url : manifestPath.split(" ")) {
                        if (!url.isBlank()) {
                            entries.add(Path.of(java.net.URI.create(url)).toString());
                        }
                    }
                }
            } else {
                entries.add(entry);
            }
        }
        return entries;
    }
}
