package chanemb.hub;

import chanemb.Json;
import chanemb.Messages;
import chanemb.UserException;
import chanemb.embed.HttpRetries;
import chanemb.embed.RetryPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The parts of the Hugging Face hub's HTTP interface that downloading a model needs:
 * {@code GET /api/models/{repo}/revision/{revision}} for the commit a revision points to,
 * {@code GET /api/models/{repo}/tree/{commit}?recursive=true} for the files with their sizes and
 * hashes (paged with Link headers), and {@code GET /{repo}/resolve/{commit}/{path}} for a file's
 * bytes, which the hub often redirects to a storage host.
 *
 * <p>The access token goes only to the hub: OkHttp drops the Authorization header when a redirect
 * leads to another host. The token is never logged or written.
 */
public final class HubClient implements AutoCloseable {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String ENDPOINT_VARIABLE = "HF_ENDPOINT";
    public static final String TOKEN_VARIABLE = "HF_TOKEN";

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final int BUFFER_BYTES = 1 << 20;

    /**
     * One file of a repository.
     *
     * @param sha256 SHA-256 of the content, listed for files stored with Git LFS; null otherwise
     * @param gitOid Git blob id (SHA-1 of "blob SIZE\0" and the content), listed for every file
     */
    public record RepoFile(String path, long size, String sha256, String gitOid) {
    }

    /** The way a file got into place. */
    public enum Fetch { PRESENT, DOWNLOADED, RESUMED }

    private final HttpUrl endpoint;
    private final String token;
    private final RetryPolicy retry;
    private final OkHttpClient http;

    /**
     * @param token access token for private and gated repositories, or null
     */
    public HubClient(String endpoint, String token, RetryPolicy retry) {
        HttpUrl url = HttpUrl.parse(endpoint.trim());
        if (url == null) {
            throw new UserException("download.invalid-endpoint", endpoint);
        }
        this.endpoint = url;
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.retry = retry;
        this.http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(30))
                .writeTimeout(Duration.ofSeconds(30))
                // Maximum silence while a file streams in, not a limit on the whole file: a multi-GB file may take an hour.
                .readTimeout(Duration.ofSeconds(60))
                .followRedirects(true)
                .followSslRedirects(true)
                .retryOnConnectionFailure(false)
                .build();
    }

    /** Returns the hub address: the option if given, else HF_ENDPOINT, else https://huggingface.co. */
    public static String endpoint(String option, Map<String, String> env) {
        if (option != null && !option.isBlank()) {
            return option;
        }
        String variable = env.get(ENDPOINT_VARIABLE);
        return variable != null && !variable.isBlank() ? variable : DEFAULT_ENDPOINT;
    }

    /** Returns {@code repo} if it is a repository id such as BAAI/bge-m3. */
    public static String requireRepoId(String repo) {
        if (repo == null || !REPO_ID.matcher(repo).matches() || repo.contains("..")) {
            throw new UserException("download.invalid-repo", repo);
        }
        return repo;
    }

    public HttpUrl endpoint() {
        return endpoint;
    }

    /** Returns the commit hash that {@code revision} (a branch, tag or commit) points to. */
    public String resolveCommit(String repo, String revision) {
        HttpUrl url = api(repo).addPathSegment("revision").addPathSegment(revision).build();
        JsonNode info = getJson(url, repo, revision);
        String sha = info.path("sha").asText("");
        if (!sha.matches("[0-9a-f]{40}")) {
            throw new UserException("download.no-commit", repo, revision, url);
        }
        return sha;
    }

    /** Lists every file of the repository at {@code commit}, following the listing's pages. */
    public List<RepoFile> listFiles(String repo, String commit) {
        List<RepoFile> files = new ArrayList<>();
        HttpUrl url = api(repo).addPathSegment("tree").addPathSegment(commit)
                .addQueryParameter("recursive", "true").build();
        while (url != null) {
            Page page = getPage(url, repo, commit);
            for (JsonNode entry : page.entries) {
                if (!entry.path("type").asText("").equals("file")) {
                    continue;
                }
                JsonNode lfs = entry.path("lfs");
                String sha256 = lfs.isObject() ? lfs.path("oid").asText(null) : null;
                files.add(new RepoFile(entry.path("path").asText(), entry.path("size").asLong(-1), sha256,
                        entry.path("oid").asText(null)));
            }
            url = page.next;
        }
        return files;
    }

    /**
     * Puts {@code file} at {@code target}, verified against the listed size and hash.
     *
     * <p>A file already there and matching is left alone. Otherwise the bytes go to
     * {@code target.part}, which is renamed to the target only when complete and verified; a
     * {@code .part} file left by an interrupted run is continued with a Range request. On a
     * hash mismatch the partial file is deleted and nothing is left under the target name.
     *
     * @param onBytes called with the number of bytes of each chunk received, for progress
     */
    public Fetch download(String repo, String commit, RepoFile file, Path target, LongConsumer onBytes) {
        try {
            if (Files.isRegularFile(target)) {
                if (matches(file, target)) {
                    return Fetch.PRESENT;
                }
                chanemb.Log.warn("download.replacing", target);
                Files.delete(target);
            }
            Files.createDirectories(target.toAbsolutePath().getParent());
            Path part = target.resolveSibling(target.getFileName() + ".part");
            if (Files.isRegularFile(part) && file.size() >= 0 && Files.size(part) > file.size()) {
                Files.delete(part);
            }
            boolean resumed = Files.isRegularFile(part) && Files.size(part) > 0;
            HttpUrl url = endpoint.newBuilder().addPathSegments(repo).addPathSegment("resolve").addPathSegment(commit)
                    .addPathSegments(file.path()).build();
            String subject = Messages.get("download.subject", file.path());
            HttpRetries.execute(http, () -> fileRequest(url, part), retry, subject, response -> {
                receive(response, file, part, onBytes);
                return null;
            });
            verify(file, part);
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return resumed ? Fetch.RESUMED : Fetch.DOWNLOADED;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(Messages.get("download.write-failed", target, e.getMessage()), e);
        }
    }

    /** Builds a GET of the file, with a Range header for the bytes a partial file lacks. */
    private Request fileRequest(HttpUrl url, Path part) {
        Request.Builder request = withToken(new Request.Builder().url(url));
        try {
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return request.build();
    }

    /** Writes a file response into the partial file: appended for a 206 that continues it, from the start for a 200. */
    private void receive(Response response, RepoFile file, Path part, LongConsumer onBytes) throws IOException {
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        boolean append;
        if (response.code() == 206 && continues(response.header("Content-Range"), have)) {
            append = true;
        } else if (response.code() == 200) {
            append = false;
        } else if (response.code() == 416 && have == file.size()) {
            // The partial file already contains every byte, so only the check and the rename are left.
            return;
        } else if (response.code() == 206) {
            Files.delete(part);
            throw new IOException("the response to a range request from byte " + have + " has Content-Range "
                    + response.header("Content-Range") + "; starting the file over");
        } else {
            throw httpError(response, file.path());
        }
        try (InputStream in = response.body().byteStream();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                onBytes.accept(n);
            }
        }
        long size = Files.size(part);
        if (file.size() >= 0 && size < file.size()) {
            // The connection closed early without an error; the next attempt resumes from here.
            throw new IOException("connection closed after " + size + " of " + file.size() + " bytes");
        }
    }

    /** True when a Content-Range header such as "bytes 100-199/200" starts at {@code offset}. */
    static boolean continues(String contentRange, long offset) {
        if (contentRange == null) {
            return false;
        }
        Matcher m = Pattern.compile("bytes\\s+(\\d+)-").matcher(contentRange.trim());
        return m.lookingAt() && Long.parseLong(m.group(1)) == offset;
    }

    /** Checks size and hash of a complete partial file; deletes it and fails on a mismatch. */
    private static void verify(RepoFile file, Path part) throws IOException {
        long size = Files.size(part);
        if (file.size() >= 0 && size != file.size()) {
            Files.delete(part);
            throw new UserException("download.size-mismatch", file.path(), size, file.size());
        }
        String expected = file.sha256() != null ? file.sha256() : file.gitOid();
        String actual = file.sha256() != null ? sha256(part) : gitOid(part);
        if (expected != null && !expected.equalsIgnoreCase(actual)) {
            Files.delete(part);
            throw new UserException("download.hash-mismatch", file.path(), file.sha256() != null ? "SHA-256" : "Git SHA-1",
                    actual, expected);
        }
    }

    /** True when {@code local} has the listed size and hash. */
    public static boolean matches(RepoFile file, Path local) throws IOException {
        if (file.size() >= 0 && Files.size(local) != file.size()) {
            return false;
        }
        if (file.sha256() != null) {
            return file.sha256().equalsIgnoreCase(sha256(local));
        }
        return file.gitOid() == null || file.gitOid().equalsIgnoreCase(gitOid(local));
    }

    static String sha256(Path file) throws IOException {
        return digest(file, "SHA-256", null);
    }

    /** Git's blob id: SHA-1 over "blob SIZE\0" followed by the content. */
    static String gitOid(Path file) throws IOException {
        return digest(file, "SHA-1", ("blob " + Files.size(file) + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static String digest(Path file, String algorithm, byte[] prefix) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (prefix != null) {
            digest.update(prefix);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private record Page(List<JsonNode> entries, HttpUrl next) {
    }

    private Page getPage(HttpUrl url, String repo, String revision) {
        return HttpRetries.execute(http, () -> withToken(new Request.Builder().url(url)).build(), retry,
                Messages.get("download.subject", url.encodedPath()), response -> {
                    if (!response.isSuccessful()) {
                        throw apiError(response, repo, revision);
                    }
                    JsonNode body = Json.LINE.readTree(response.body().string());
                    if (body == null || !body.isArray()) {
                        throw new UserException("download.bad-listing", url);
                    }
                    List<JsonNode> entries = new ArrayList<>();
                    body.forEach(entries::add);
                    return new Page(entries, nextPage(response.header("Link"), url));
                });
    }

    private JsonNode getJson(HttpUrl url, String repo, String revision) {
        return HttpRetries.execute(http, () -> withToken(new Request.Builder().url(url)).build(), retry,
                Messages.get("download.subject", url.encodedPath()), response -> {
                    if (!response.isSuccessful()) {
                        throw apiError(response, repo, revision);
                    }
                    JsonNode body = Json.LINE.readTree(response.body().string());
                    if (body == null || !body.isObject()) {
                        throw new UserException("download.bad-listing", url);
                    }
                    return body;
                });
    }

    /** Returns the URL of the next page from a Link header, resolved against the current one; null on the last page. */
    static HttpUrl nextPage(String link, HttpUrl current) {
        if (link == null) {
            return null;
        }
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? current.resolve(m.group(1)) : null;
    }

    private UserException apiError(Response response, String repo, String revision) {
        int code = response.code();
        if (code == 401 || code == 403) {
            return new UserException(token == null ? "download.denied-no-token" : "download.denied", repo, code);
        }
        if (code == 404) {
            return new UserException("download.not-found", repo, revision, endpoint);
        }
        return new UserException("download.http-error", response.request().url(), code, HttpRetries.excerpt(response));
    }

    private UserException httpError(Response response, String path) {
        int code = response.code();
        if (code == 401 || code == 403) {
            return new UserException(token == null ? "download.denied-no-token" : "download.denied", path, code);
        }
        return new UserException("download.http-error", response.request().url(), code, HttpRetries.excerpt(response));
    }

    private HttpUrl.Builder api(String repo) {
        return endpoint.newBuilder().addPathSegments("api/models").addPathSegments(repo);
    }

    private Request.Builder withToken(Request.Builder request) {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
