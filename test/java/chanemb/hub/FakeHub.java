package chanemb.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Hugging Face hub, on loopback: the revision and tree APIs (with Link
 * pages) and /{repo}/resolve/{commit}/{path}. Files over 10 kB are "LFS" files: listed with their
 * SHA-256 and redirected, like on the hub, to a storage path on another host name (localhost
 * instead of 127.0.0.1), with Range support. Faults can be scripted per file.
 */
public final class FakeHub implements AutoCloseable {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final int LFS_THRESHOLD = 10_000;

    /** One request as the server saw it. */
    public record Seen(String host, String path, String range, String authorization) {
    }

    private final HttpServer server;
    private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    private final Map<String, String> listedSha256 = new ConcurrentHashMap<>();
    private final Map<String, Drop> drops = new ConcurrentHashMap<>();
    private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
    private final List<Seen> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile int pageSize = 1000;
    private volatile String requiredToken;

    private record Drop(long afterBytes, AtomicInteger times) {
    }

    private FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    public static FakeHub start() throws IOException {
        return new FakeHub();
    }

    /** Returns the address to pass as --endpoint. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public FakeHub repo(String id, Map<String, byte[]> files) {
        repos.put(id, new TreeMap<>(files));
        return this;
    }

    /**
     * Cuts the connection of the next {@code times} requests of {@code path} when the file offset
     * reaches {@code afterBytes}; a request starting at or past it gets no bytes at all.
     */
    public void dropAfter(String path, long afterBytes, int times) {
        drops.put(path, new Drop(afterBytes, new AtomicInteger(times)));
    }

    /** Serves {@code path} with one byte changed, while the listing keeps the hashes of the real content. */
    public void corrupt(String path) {
        corrupt.put(path, true);
    }

    /** Splits the tree listing into pages of {@code n} entries linked with Link headers. */
    public void pageSize(int n) {
        pageSize = n;
    }

    /** Makes the server respond with 401 to any request without this bearer token. */
    public void requireToken(String token) {
        requiredToken = token;
    }

    public List<Seen> requests() {
        synchronized (requests) {
            return new ArrayList<>(requests);
        }
    }

    public void clearRequests() {
        requests.clear();
    }

    public static String sha256(byte[] content) {
        return digest("SHA-256", null, content);
    }

    public static String gitOid(byte[] content) {
        return digest("SHA-1", ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII), content);
    }

    private static String digest(String algorithm, byte[] prefix, byte[] content) {
        try {
            MessageDigest digest = MessageDigest.getInstance(algorithm);
            if (prefix != null) {
                digest.update(prefix);
            }
            return HexFormat.of().formatHex(digest.digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String rawPath = exchange.getRequestURI().getRawPath();
            requests.add(new Seen(exchange.getRequestHeaders().getFirst("Host"), rawPath,
                    exchange.getRequestHeaders().getFirst("Range"), exchange.getRequestHeaders().getFirst("Authorization")));
            if (requiredToken != null && !rawPath.startsWith("/cdn/")
                    && !("Bearer " + requiredToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"error\":\"Invalid credentials\"}");
                return;
            }
            List<String> segments = new ArrayList<>();
            for (String segment : rawPath.substring(1).split("/")) {
                segments.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
            }
            if (segments.get(0).equals("cdn")) {
                serveBlob(exchange, segments.get(1));
            } else if (segments.get(0).equals("api") && segments.size() >= 6) {
                String repo = segments.get(2) + "/" + segments.get(3);
                if (!repos.containsKey(repo)) {
                    send(exchange, 404, "{\"error\":\"Repository not found\"}");
                } else if (segments.get(4).equals("revision")) {
                    String revision = segments.get(5);
                    if (revision.equals("main") || revision.equals(COMMIT)) {
                        send(exchange, 200, "{\"id\":\"" + repo + "\",\"sha\":\"" + COMMIT + "\"}");
                    } else {
                        send(exchange, 404, "{\"error\":\"Invalid rev id: " + revision + "\"}");
                    }
                } else if (segments.get(4).equals("tree") && segments.get(5).equals(COMMIT)) {
                    serveTree(exchange, repo);
                } else {
                    send(exchange, 404, "{\"error\":\"Not found\"}");
                }
            } else if (segments.size() >= 5 && segments.get(2).equals("resolve")) {
                String repo = segments.get(0) + "/" + segments.get(1);
                String path = String.join("/", segments.subList(4, segments.size()));
                byte[] content = repos.getOrDefault(repo, Map.of()).get(path);
                if (content == null || !segments.get(3).equals(COMMIT)) {
                    send(exchange, 404, "{\"error\":\"Entry not found\"}");
                } else if (content.length > LFS_THRESHOLD && !exchange.getRequestHeaders().getFirst("Host").startsWith("localhost")) {
                    String sha = sha256(content);
                    listedSha256.put(sha, repo + "/" + path);
                    exchange.getResponseHeaders().add("Location",
                            "http://localhost:" + server.getAddress().getPort() + "/cdn/" + sha);
                    exchange.sendResponseHeaders(302, -1);
                } else {
                    serveContent(exchange, path, content);
                }
            } else {
                send(exchange, 404, "{\"error\":\"Not found\"}");
            }
        }
    }

    private void serveTree(HttpExchange exchange, String repo) throws IOException {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null || !query.contains("recursive=true")) {
            send(exchange, 400, "{\"error\":\"this fake serves recursive listings only\"}");
            return;
        }
        int cursor = 0;
        for (String pair : query.split("&")) {
            if (pair.startsWith("cursor=")) {
                cursor = Integer.parseInt(pair.substring(7));
            }
        }
        List<String> entries = new ArrayList<>();
        java.util.Set<String> folders = new java.util.TreeSet<>();
        for (Map.Entry<String, byte[]> file : repos.get(repo).entrySet()) {
            String path = file.getKey();
            if (path.contains("/")) {
                folders.add(path.substring(0, path.lastIndexOf('/')));
            }
            byte[] content = file.getValue();
            String lfs = content.length > LFS_THRESHOLD
                    ? ",\"lfs\":{\"oid\":\"" + sha256(content) + "\",\"size\":" + content.length + ",\"pointerSize\":134}"
                    : "";
            entries.add("{\"type\":\"file\",\"oid\":\"" + gitOid(content) + "\",\"size\":" + content.length
                    + ",\"path\":\"" + path + "\"" + lfs + "}");
        }
        for (String folder : folders) {
            entries.add("{\"type\":\"directory\",\"oid\":\"" + gitOid(folder.getBytes()) + "\",\"size\":0,\"path\":\""
                    + folder + "\"}");
        }
        int end = Math.min(entries.size(), cursor + pageSize);
        if (end < entries.size()) {
            exchange.getResponseHeaders().add("Link", "<" + url() + exchange.getRequestURI().getRawPath()
                    + "?recursive=true&cursor=" + end + ">; rel=\"next\"");
        }
        send(exchange, 200, "[" + String.join(",", entries.subList(cursor, end)) + "]");
    }

    private void serveBlob(HttpExchange exchange, String sha) throws IOException {
        String location = listedSha256.get(sha);
        if (location == null) {
            send(exchange, 404, "{\"error\":\"no such blob\"}");
            return;
        }
        int slash = location.indexOf('/', location.indexOf('/') + 1);
        String repo = location.substring(0, slash);
        String path = location.substring(slash + 1);
        serveContent(exchange, path, repos.get(repo).get(path));
    }

    /** Sends a file, or the part a Range header requests; applies scripted drops and corruption. */
    private void serveContent(HttpExchange exchange, String path, byte[] content) throws IOException {
        byte[] body = content;
        if (corrupt.containsKey(path)) {
            body = content.clone();
            body[body.length / 2] ^= 0x5A;
        }
        long from = 0;
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Long.parseLong(range.substring(6, range.length() - 1));
            if (from >= body.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        long length = body.length - from;
        exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
        Drop drop = drops.get(path);
        OutputStream out = exchange.getResponseBody();
        if (drop != null && drop.times().getAndDecrement() > 0) {
            out.write(body, (int) from, (int) Math.max(0, Math.min(drop.afterBytes() - from, length)));
            out.flush();
            // The server closes the connection with bytes still owed: the client sees the stream end early.
            throw new IOException("dropping the connection on purpose");
        }
        out.write(body, (int) from, (int) length);
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** Files of a fake model repository built from the bundled model, plus files a download must skip. */
    public static Map<String, byte[]> bundledRepo(java.nio.file.Path bundledDir, String config) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", "# fake model".getBytes(StandardCharsets.UTF_8));
        files.put("config.json", config.getBytes(StandardCharsets.UTF_8));
        files.put("modules.json", ("[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
                + "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]")
                .getBytes(StandardCharsets.UTF_8));
        files.put("1_Pooling/config.json", "{\"word_embedding_dimension\":384,\"pooling_mode_mean_tokens\":true}"
                .getBytes(StandardCharsets.UTF_8));
        files.put("tokenizer.json", java.nio.file.Files.readAllBytes(bundledDir.resolve("tokenizer.json")));
        files.put("onnx/model.onnx", java.nio.file.Files.readAllBytes(bundledDir.resolve("model.onnx")));
        files.put("model.safetensors", new byte[20_000]);
        return files;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
