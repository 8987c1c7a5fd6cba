package chanemb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A step output: a folder of Parquet part files plus {@code _manifest.json}.
 *
 * <p>Parts are written to a temporary name and renamed when complete, so a part file that
 * exists is whole. The manifest is written last; a folder without one is the output of an
 * interrupted run and is never read as complete. Read all parts with the glob
 * {@code <folder>/part-*.parquet}, for example from DuckDB or {@link Outputs}.
 */
public final class Dataset {
    public static final String MANIFEST = "_manifest.json";
    public static final int FORMAT_VERSION = 1;
    /** Key, in a manifest's counts, of the hash of the output's rows. */
    public static final String CONTENT_HASH = "content_sha256";

    private Dataset() {
    }

    /** One complete part file. */
    public record Part(String file, long rows, String sha256) {
    }

    /**
     * Description of a complete output. {@code inputs} maps each input's name to the content
     * hash of its manifest, so a later run can tell whether the output is still current.
     */
    public record Manifest(String step, int formatVersion, String created, long rows, List<Part> parts,
                           Map<String, Object> params, Map<String, String> inputs, Map<String, Object> counts) {

        /**
         * Hash of this manifest's content (parts and parameters), for downstream manifests. A
         * step that records the hash of its rows as {@value Dataset#CONTENT_HASH} in its counts gets a
         * hash that does not depend on how the rows were split into files, so the same rows
         * written again leave later steps current.
         */
        public String contentHash() {
            StringBuilder text = new StringBuilder(step).append('|').append(params).append('|');
            if (counts != null && counts.get(CONTENT_HASH) instanceof String rowsHash) {
                return sha256(text.append(rowsHash).toString());
            }
            for (Part part : parts) {
                text.append(part.file()).append(':').append(part.sha256()).append(';');
            }
            return sha256(text.toString());
        }
    }

    public static Path manifestPath(Path dir) {
        return dir.resolve(MANIFEST);
    }

    public static boolean isComplete(Path dir) {
        return Files.isRegularFile(manifestPath(dir));
    }

    /** Reads the manifest of a complete output, or fails naming the step that makes it. */
    public static Manifest require(Path dir, String producingStep) {
        if (!isComplete(dir)) {
            if (Files.isDirectory(dir)) {
                throw new UserException("dataset.incomplete", dir, producingStep);
            }
            throw new UserException("dataset.missing", dir, producingStep);
        }
        return Json.read(manifestPath(dir), Manifest.class);
    }

    /** SQL glob over the parts, for DuckDB's read_parquet. */
    public static String glob(Path dir) {
        return Duck.literal(dir.toAbsolutePath() + "/part-*.parquet");
    }

    public static Path partPath(Path dir, int index) {
        return dir.resolve(String.format("part-%05d.parquet", index));
    }

    /** Lists the complete part files, in name order. */
    public static List<Path> parts(Path dir) {
        List<Path> parts = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return parts;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "part-*.parquet")) {
            stream.forEach(parts::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        parts.sort(null);
        return parts;
    }

    /** Index for the next part file: one past the highest existing part, 0 for none. */
    public static int nextPartIndex(Path dir) {
        List<Path> parts = parts(dir);
        if (parts.isEmpty()) {
            return 0;
        }
        String last = parts.get(parts.size() - 1).getFileName().toString();
        return Integer.parseInt(last.substring(5, last.indexOf('.'))) + 1;
    }

    /** Row count and SHA-256 of every part file, for a manifest. */
    public static List<Part> describeParts(Path dir) {
        List<Part> described = new ArrayList<>();
        List<Path> files = parts(dir);
        if (files.isEmpty()) {
            return described;
        }
        try (java.sql.Connection duck = Duck.open(); java.sql.Statement statement = duck.createStatement()) {
            for (Path part : files) {
                try (java.sql.ResultSet rs = statement.executeQuery("SELECT count(*) FROM read_parquet("
                        + Duck.literal(part) + ")")) {
                    rs.next();
                    described.add(new Part(part.getFileName().toString(), rs.getLong(1), sha256(part)));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("Cannot read " + dir + ": " + e.getMessage(), e);
        }
        return described;
    }

    /** Removes the manifest, every part and leftover temporary files, keeping the folder. */
    public static void clear(Path dir) {
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                for (Path file : stream) {
                    String name = file.getFileName().toString();
                    if (name.startsWith("part-") || name.equals(MANIFEST) || name.endsWith(".tmp")) {
                        Files.delete(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot clear " + dir, e);
        }
    }

    /** Removes a manifest so the folder reads as incomplete while a run changes it. */
    public static void markIncomplete(Path dir) {
        try {
            Files.deleteIfExists(manifestPath(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the manifest, which marks the output complete. */
    public static Manifest complete(Path dir, String step, List<Part> parts, Map<String, Object> params,
                                    Map<String, String> inputs, Map<String, Object> counts) {
        long rows = parts.stream().mapToLong(Part::rows).sum();
        Manifest manifest = new Manifest(step, FORMAT_VERSION, Instant.now().toString(), rows, List.copyOf(parts),
                new LinkedHashMap<>(params), new LinkedHashMap<>(inputs), new LinkedHashMap<>(counts));
        Json.writeAtomically(manifestPath(dir), manifest);
        return manifest;
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
