package chanemb.llm;

import chanemb.Json;
import chanemb.Log;
import chanemb.UserException;
import chanemb.WindowsFile;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Mistral's Batch API: the windows go up as a JSONL file, a job runs them at the batch price
 * without per-second limits, and the results come back as a JSONL file.
 *
 * <p>Every job id is saved in {@code <output>.batches.json} as soon as the job exists, with the
 * window keys it covers. A rerun polls the open jobs, collects the finished ones into the
 * summaries file and submits only windows that no job covers, so killing the step while it
 * waits loses nothing. {@code --batch-job ID} attaches a job created elsewhere (its results are
 * matched to ad posts by custom_id, the window key).
 */
final class BatchRunner {
    private static final Set<String> TERMINAL = Set.of("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED");

    private final ChatClient client;
    private final ApiKeys.Key key;
    private final SummarizeStep.Options options;
    private final Records records;
    private final String systemPrompt;
    private final Path stateFile;
    private final State state;
    final OnlineRunner.Stats stats = new OnlineRunner.Stats();
    chanemb.Progress progress;

    /** The saved jobs. */
    record State(@JsonProperty("jobs") List<JobState> jobs) {
    }

    /** One job: its id, the key that created it, the window keys it covers, and whether it was collected. */
    record JobState(@JsonProperty("id") String id, @JsonProperty("key") String key,
                    @JsonProperty("created") String created, @JsonProperty("window_keys") List<String> windowKeys,
                    @JsonProperty("collected") boolean collected) {
    }

    BatchRunner(ChatClient client, ApiKeys.Key key, SummarizeStep.Options options, Records records,
                String systemPrompt) {
        this.client = client;
        this.key = key;
        this.options = options;
        this.records = records;
        this.systemPrompt = systemPrompt;
        this.stateFile = stateFile(options.output());
        this.state = Files.isRegularFile(stateFile) ? Json.read(stateFile, State.class) : new State(new ArrayList<>());
        String attach = options.batch().attachJobId();
        if (attach != null && state.jobs().stream().noneMatch(j -> j.id().equals(attach))) {
            state.jobs().add(new JobState(attach, key.label(), Instant.now().toString(), List.of(), false));
            save();
        }
    }

    static Path stateFile(Path output) {
        return output.resolveSibling(output.getFileName() + ".batches.json");
    }

    /** Window keys of jobs not collected yet: they are not submitted again. */
    Set<String> openWindowKeys() {
        Set<String> keys = new HashSet<>();
        state.jobs().stream().filter(j -> !j.collected()).forEach(j -> keys.addAll(j.windowKeys()));
        return keys;
    }

    List<String> openJobIds() {
        return state.jobs().stream().filter(j -> !j.collected()).map(JobState::id).toList();
    }

    /**
     * Polls the open jobs, waiting for them when {@code wait} is set, and writes the results of
     * every finished one.
     *
     * @param windowsByKey every window of the run by window key
     * @param okAdPosts    ad posts that already have a summary; they get no second one
     */
    void collect(Map<String, List<WindowsFile.Entry>> windowsByKey, Set<Long> okAdPosts, SummaryLog.Appender out,
                 boolean wait) {
        while (true) {
            boolean open = false;
            for (int i = 0; i < state.jobs().size(); i++) {
                JobState job = state.jobs().get(i);
                if (job.collected()) {
                    continue;
                }
                JsonNode status = getJson("batch/jobs/" + job.id());
                String value = status.path("status").asText();
                if (!TERMINAL.contains(value)) {
                    Log.info("summarize.batch-waiting", job.id(), value, status.path("completed_requests").asLong(),
                            status.path("total_requests").asLong());
                    open = true;
                    continue;
                }
                collectJob(job, status, windowsByKey, okAdPosts, out);
                state.jobs().set(i, new JobState(job.id(), job.key(), job.created(), job.windowKeys(), true));
                save();
            }
            if (!open || !wait) {
                return;
            }
            sleep(options.batch().pollInterval());
        }
    }

    private void collectJob(JobState job, JsonNode status, Map<String, List<WindowsFile.Entry>> windowsByKey,
                            Set<Long> okAdPosts, SummaryLog.Appender out) {
        Set<String> answered = new HashSet<>();
        for (String field : List.of("output_file", "error_file")) {
            if (status.path(field).isTextual() && !status.path(field).asText().isBlank()) {
                forEachLine("files/" + status.path(field).asText() + "/content", line -> {
                    String windowKey = line.path("custom_id").asText();
                    List<WindowsFile.Entry> windows = windowsByKey.get(windowKey);
                    if (windows == null || !answered.add(windowKey)) {
                        return;
                    }
                    writeResult(job.id(), windowKey, windows, line, okAdPosts, out);
                });
            }
        }
        // Windows of the job with no line in either file stay pending for the next run.
        long missing = job.windowKeys().stream().filter(k -> !answered.contains(k)).count();
        Log.info("summarize.batch-collected", job.id(), status.path("status").asText(), answered.size(), missing);
    }

    private void writeResult(String jobId, String windowKey, List<WindowsFile.Entry> windows, JsonNode line,
                             Set<Long> okAdPosts, SummaryLog.Appender out) {
        long[] adIds = windows.stream().mapToLong(WindowsFile.Entry::adPostId).filter(id -> !okAdPosts.contains(id))
                .toArray();
        if (adIds.length == 0) {
            return;
        }
        WindowsFile.Entry first = windows.get(0);
        WindowJob job = new WindowJob(windowKey, adIds, first.channelId(), first.prevPostIds(), WindowPrompt.Channel.NONE,
                List.of());
        job.lastKey = key.label();
        job.attempts.calls = 1;
        JsonNode response = line.path("response");
        JsonNode body = response.has("body") ? response.path("body") : response;
        int statusCode = response.path("status_code").asInt(body.has("choices") ? 200 : 0);
        if (statusCode != 200 || !body.has("choices")) {
            String detail = "batch line: HTTP " + statusCode + " " + Replies.excerpt(line.path("error").toString());
            out.append(records.failed(job, "batch_error", detail, true, jobId));
            advance(adIds.length);
            stats.adPostsFailed.addAndGet(adIds.length);
            stats.adPostsRetryable.addAndGet(adIds.length);
            return;
        }
        ChatClient.Result result = ChatClient.parseReply(body.toString(), 0);
        job.tokensIn = result.promptTokens();
        job.tokensOut = result.completionTokens();
        stats.addTokens(key.label(), result.promptTokens(), result.completionTokens());
        stats.calls.incrementAndGet();
        RetryPolicy.Failure failure = result.failure();
        if (failure == null) {
            Replies.Checked checked = Replies.check(options.mode(), result.content(), result.finishReason());
            if (checked.summary() != null) {
                out.append(records.ok(job, checked.summary(), jobId));
                advance(adIds.length);
                stats.adPostsOk.addAndGet(adIds.length);
                stats.sharedWindows.addAndGet(adIds.length - 1);
                for (long id : adIds) {
                    okAdPosts.add(id);
                }
                return;
            }
            failure = checked.failure();
        }
        out.append(records.failed(job, failure.kind().reason, failure.detail(), failure.kind().transientFailure, jobId));
        advance(adIds.length);
        stats.adPostsFailed.addAndGet(adIds.length);
        if (failure.kind().transientFailure) {
            stats.adPostsRetryable.addAndGet(adIds.length);
        }
    }

    /** Writes the packed jobs into JSONL files of at most {@code requestsPerJob} lines and starts a job for each. */
    void submit(SummarizeStep.Producer producer) {
        List<String> keys = new ArrayList<>();
        Path file = stateFile.resolveSibling(stateFile.getFileName() + ".upload.jsonl");
        try {
            BufferedWriter[] writer = {null};
            producer.produce(job -> {
                try {
                    if (writer[0] == null) {
                        writer[0] = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
                    }
                    ChatClient.ChatRequest request = new ChatClient.ChatRequest(options.model(), systemPrompt,
                            job.packed.userMessage(), options.temperature(), job.maxTokens,
                            options.mode() == Replies.Mode.STRUCTURED ? Replies.responseFormat() : null);
                    ObjectNode line = Json.LINE.createObjectNode().put("custom_id", job.windowKey);
                    line.set("body", request.body(false));
                    writer[0].write(line.toString());
                    writer[0].write('\n');
                    keys.add(job.windowKey);
                    if (keys.size() >= options.batch().requestsPerJob()) {
                        writer[0].close();
                        writer[0] = null;
                        startJob(file, keys);
                        keys.clear();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (writer[0] != null) {
                writer[0].close();
                startJob(file, keys);
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the batch file " + file, e);
        }
    }

    private void startJob(Path file, List<String> windowKeys) {
        RequestBody upload = new MultipartBody.Builder().setType(MultipartBody.FORM)
                .addFormDataPart("purpose", "batch")
                .addFormDataPart("file", "chanemb-batch.jsonl",
                        RequestBody.create(file.toFile(), MediaType.get("application/octet-stream")))
                .build();
        String fileId = sendJson(new Request.Builder().url(client.url("files")).post(upload), "upload")
                .path("id").asText();
        ObjectNode create = Json.LINE.createObjectNode().put("model", options.model())
                .put("endpoint", "/v1/chat/completions");
        create.putArray("input_files").add(fileId);
        create.putObject("metadata").put("chanemb_prompt", records.promptHash()).put("chanemb_params", records.paramsHash());
        JsonNode job = sendJson(new Request.Builder().url(client.url("batch/jobs"))
                .post(RequestBody.create(create.toString(), ChatClient.JSON)), "create job");
        String id = job.path("id").asText();
        if (id.isBlank()) {
            throw new UserException("summarize.batch-failed", "create job", 200, Replies.excerpt(job.toString()));
        }
        state.jobs().add(new JobState(id, key.label(), Instant.now().toString(), List.copyOf(windowKeys), false));
        save();
        Log.info("summarize.batch-submitted", id, windowKeys.size(), fileId);
    }

    private JsonNode getJson(String path) {
        return sendJson(new Request.Builder().url(client.url(path)).get(), "GET " + path);
    }

    /** Sends a control request; transient failures are retried 5 times with backoff, others stop the step. */
    private JsonNode sendJson(Request.Builder builder, String what) {
        Request request = ChatClient.authorized(builder, key).build();
        IOException last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try (Response response = client.http().newCall(request).execute()) {
                String text = response.body() == null ? "" : response.body().string();
                if (response.isSuccessful()) {
                    return Json.LINE.readTree(text);
                }
                if (response.code() != 429 && response.code() < 500) {
                    throw new UserException("summarize.batch-failed", what, response.code(), Replies.excerpt(text));
                }
                last = new IOException("HTTP " + response.code() + ": " + Replies.excerpt(text));
            } catch (IOException e) {
                last = e;
            }
            Log.warn("summarize.batch-retry", what, last.getMessage(), attempt);
            sleep(Duration.ofSeconds(1L << attempt));
        }
        throw new UserException("summarize.batch-failed", what, 0, last.getMessage());
    }

    private void forEachLine(String path, java.util.function.Consumer<JsonNode> consumer) {
        Request request = ChatClient.authorized(new Request.Builder().url(client.url(path)).get(), key).build();
        Path download = stateFile.resolveSibling(stateFile.getFileName() + ".download.jsonl");
        try (Response response = client.http().newCall(request).execute()) {
            if (!response.isSuccessful() || response.body() == null) {
                throw new UserException("summarize.batch-failed", "GET " + path, response.code(), "");
            }
            try (InputStream in = response.body().byteStream()) {
                Files.copy(in, download, StandardCopyOption.REPLACE_EXISTING);
            }
            try (BufferedReader reader = Files.newBufferedReader(download, StandardCharsets.UTF_8)) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (!line.isBlank()) {
                        consumer.accept(Json.LINE.readTree(line));
                    }
                }
            }
            Files.deleteIfExists(download);
        } catch (IOException e) {
            throw new UserException(e, "summarize.batch-failed", "GET " + path, 0, e.getMessage());
        }
    }

    private void advance(long adPosts) {
        if (progress != null) {
            progress.advance(adPosts);
        }
    }

    private void save() {
        Json.writeAtomically(stateFile, state);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for batch jobs", e);
        }
    }
}
