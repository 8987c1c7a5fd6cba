package chanemb.llm;

import chanemb.Dataset;
import chanemb.Log;
import chanemb.Progress;
import chanemb.UserException;
import chanemb.WindowsFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * The summarize step: one summary per ad post, from its window of previous posts, appended to a
 * JSONL file as results arrive.
 *
 * <p>Order of work: read the windows and what the output file already holds; choose the ad
 * posts still to do; give identical windows (same post ids, prompt, model and parameters) one
 * job; pack every window once to print the estimate; then pack again chunk by chunk while the
 * calls run, so only a chunk's texts are in memory.
 */
public final class SummarizeStep {
    public static final String STEP = "summarize";
    static final int CHUNK_WINDOWS = 2000;

    private SummarizeStep() {
    }

    /** Everything a run needs besides keys, token counter and channel profiles. */
    public record Options(Path windowsDir, Path textsDir, Path output, Path promptFile, Replies.Mode mode, String model,
                          String baseUrl, double temperature, int maxOutputTokens, WindowPacker.Budget budget,
                          RetryPolicy.Settings retry, ChatClient.Timeouts timeouts, boolean retryFailed,
                          boolean estimateOnly, int limit, Prices prices, BatchOptions batch) {
    }

    /** Prices in USD per million tokens (null: not configured), and the batch discount factor. */
    public record Prices(Double input, Double output, double batchFactor) {
        /** Cost in USD, or null when a price is missing. */
        public Double cost(long tokensIn, long tokensOut, boolean batch) {
            if (input == null || output == null) {
                return null;
            }
            double cost = tokensIn / 1e6 * input + tokensOut / 1e6 * output;
            return batch ? cost * batchFactor : cost;
        }
    }

    /** Batch mode settings; null options mean online mode. */
    public record BatchOptions(String attachJobId, int requestsPerJob, Duration pollInterval, boolean waitForJobs) {
    }

    /** Counts of a run. {@code pending} ad posts are left for the next run. */
    public record Result(long adPosts, long alreadyDone, long ok, long shared, long reused, long failed,
                         long retryable, long emptyWindows, long noText, long calls, long retries, long tokensIn,
                         long tokensOut, Double cost, long pending, double seconds, Map<String, long[]> tokensByKey) {
    }

    /** The plan: what the file holds, and which ad posts this run works on. */
    record Plan(Map<String, List<WindowsFile.Entry>> jobs, List<WindowsFile.Entry> empty,
                Map<String, List<WindowsFile.Entry>> reusable, long alreadyDone, Map<String, Long> monthTokensByKey) {
        long jobAdPosts() {
            return jobs.values().stream().mapToLong(List::size).sum();
        }

        long reusableCount() {
            return reusable.values().stream().mapToLong(List::size).sum();
        }
    }

    /** Runs the step. {@code channels} returns the title and description of a channel id. */
    public static Result run(Options options, ApiKeys keys, TokenCounter counter,
                             LongFunction<WindowPrompt.Channel> channels) {
        long start = System.nanoTime();
        Dataset.require(options.textsDir(), "load_texts");
        List<WindowsFile.Entry> windows = WindowsFile.read(options.windowsDir());

        // 1. The prompt and parameters, hashed; they key every window and record.
        String systemPrompt = readPrompt(options.promptFile());
        String promptHash = Dataset.sha256(systemPrompt + "\nformat " + WindowPrompt.FORMAT_VERSION).substring(0, 16);
        String paramsHash = Dataset.sha256(params(options, counter)).substring(0, 16);
        Records records = new Records(options.model(), options.mode(), promptHash, paramsHash);
        WindowPacker packer = new WindowPacker(counter, options.budget());
        Log.info("summarize.start", windows.size(), options.model(), options.mode().label(), promptHash, paramsHash,
                counter.id());
        if (options.estimateOnly()) {
            Plan plan = plan(windows, options, records, Set.of());
            printPlan(windows, plan);
            printEstimate(estimate(plan, options, packer, systemPrompt, channels), options, keys, plan);
            return new Result(windows.size(), plan.alreadyDone(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null,
                    windows.size() - plan.alreadyDone(), seconds(start), Map.of());
        }

        SummaryLog.repairTail(options.output());
        try (SummaryLog.Appender out = new SummaryLog.Appender(options.output())) {
            // 2. Batch mode: results of jobs that finished since the last run come in first.
            BatchRunner batch = null;
            Map<String, List<WindowsFile.Entry>> windowsByKey = null;
            if (options.batch() != null) {
                batch = new BatchRunner(new ChatClient(baseUrl(options), options.timeouts(), 4), keys.keys().get(0),
                        options, records, systemPrompt);
                windowsByKey = windowsByKey(windows, records);
                batch.collect(windowsByKey, okAdPosts(options.output()), out, false);
            }

            // 3. What earlier runs wrote, and what is left to do.
            Plan plan = plan(windows, options, records, batch == null ? Set.of() : batch.openWindowKeys());
            printPlan(windows, plan);

            // 4. The estimate: every window packed once, before any call.
            printEstimate(estimate(plan, options, packer, systemPrompt, channels), options, keys, plan);

            // 5. Ad posts that need no call: empty windows, and windows summarized by an earlier run.
            long reused = writeWithoutCalls(plan, options, records, out);

            // 6. The calls, online or through the batch API.
            long total = plan.jobAdPosts();
            Producer producer = new Producer(plan, options, packer, systemPrompt, channels, records, out);
            OnlineRunner.Stats stats;
            long pending;
            try (Progress progress = Progress.start(STEP, "ad posts", total)) {
                producer.progress = progress;
                if (batch != null) {
                    batch.progress = progress;
                    batch.submit(producer);
                    batch.collect(windowsByKey, okAdPosts(options.output()), out, options.batch().waitForJobs());
                    stats = batch.stats;
                    if (!batch.openJobIds().isEmpty()) {
                        Log.info("summarize.batch-open", String.join(", ", batch.openJobIds()));
                    }
                    pending = plan(windows, options, records, Set.of()).jobAdPosts();
                } else {
                    stats = runOnline(options, keys, plan, packer, systemPrompt, records, out, progress, producer);
                    long done = stats.adPostsOk.get() + stats.adPostsFailed.get() + producer.noText + producer.tooLong;
                    pending = total - done + stats.adPostsRetryable.get();
                    if (stats.monthlyLimitReached) {
                        Log.warn("summarize.month-limit", total - done);
                    }
                }
            }
            producer.rethrow();

            // 7. The counts.
            Map<String, long[]> byKey = new LinkedHashMap<>();
            stats.tokensByKey.forEach((key, counts) -> byKey.put(key, new long[] {counts[0].get(), counts[1].get()}));
            if (stats.nulRepaired.get() > 0) {
                Log.info("summarize.nul-repaired", stats.nulRepaired.get());
            }
            if (!stats.failuresByReason.isEmpty()) {
                Log.info("summarize.failures", new java.util.TreeMap<>(stats.failuresByReason));
            }
            return new Result(windows.size(), plan.alreadyDone(), stats.adPostsOk.get() + reused,
                    stats.sharedWindows.get(), reused, stats.adPostsFailed.get() + producer.noText + producer.tooLong
                    + plan.empty().size(), stats.adPostsRetryable.get(), plan.empty().size(), producer.noText,
                    stats.calls.get(), stats.retries.get(), stats.tokensIn(), stats.tokensOut(),
                    options.prices().cost(stats.tokensIn(), stats.tokensOut(), options.batch() != null), pending,
                    seconds(start), byKey);
        }
    }

    private static OnlineRunner.Stats runOnline(Options options, ApiKeys keys, Plan plan, WindowPacker packer,
                                                String systemPrompt, Records records, SummaryLog.Appender out,
                                                Progress progress, Producer producer) {
        Map<String, Long> monthByOrganization = monthByOrganization(keys, plan.monthTokensByKey());
        ChatClient client = new ChatClient(baseUrl(options), options.timeouts(),
                keys.keys().stream().mapToInt(ApiKeys.Key::concurrency).sum());
        OnlineRunner runner = new OnlineRunner(client, keys, OnlineRunner.limiters(keys, monthByOrganization),
                new RetryPolicy(options.retry(), OnlineRunner.jitter()), packer,
                new OnlineRunner.Settings(options.model(), systemPrompt, options.mode(), options.temperature(),
                        options.maxOutputTokens()),
                records, out, progress);
        producer.start();
        try {
            return runner.run(producer);
        } finally {
            producer.stop();
        }
    }

    private static void printPlan(List<WindowsFile.Entry> windows, Plan plan) {
        Log.info("summarize.plan", windows.size(), plan.alreadyDone(), plan.jobAdPosts() + plan.reusableCount()
                + plan.empty().size(), plan.jobs().size(), plan.jobAdPosts() - plan.jobs().size(),
                plan.reusableCount(), plan.empty().size());
    }

    private static Map<String, List<WindowsFile.Entry>> windowsByKey(List<WindowsFile.Entry> windows, Records records) {
        Map<String, List<WindowsFile.Entry>> byKey = new HashMap<>();
        for (WindowsFile.Entry window : windows) {
            if (window.prevPostIds().length > 0) {
                byKey.computeIfAbsent(windowKey(records, window.prevPostIds()), k -> new ArrayList<>()).add(window);
            }
        }
        return byKey;
    }

    private static Set<Long> okAdPosts(Path output) {
        Set<Long> ok = new HashSet<>();
        SummaryLog.read(output, record -> {
            if (record.isOk()) {
                ok.add(record.adPostId());
            }
        });
        return ok;
    }

    static String baseUrl(Options options) {
        if (options.baseUrl() == null || options.baseUrl().isBlank()) {
            throw new UserException("summarize.base-url-missing");
        }
        return options.baseUrl();
    }

    private static String readPrompt(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new UserException("summarize.prompt-empty", file);
            }
            return text;
        } catch (IOException e) {
            throw new UserException(e, "summarize.prompt-missing", file);
        }
    }

    /** Lists the parameters that change what the model is asked, in a fixed order. */
    static String params(Options options, TokenCounter counter) {
        return "mode=" + options.mode().label()
                + ";temperature=" + options.temperature()
                + ";max_output_tokens=" + options.maxOutputTokens()
                + ";max_input_tokens=" + options.budget().maxInputTokens()
                + ";max_post_tokens=" + options.budget().maxPostTokens()
                + ";token_counter=" + counter.id();
    }

    /** Returns the key of a window: identical post ids under the same prompt, model and parameters share it. */
    public static String windowKey(Records records, long[] postIds) {
        StringBuilder text = new StringBuilder(records.model()).append('|').append(records.promptHash()).append('|')
                .append(records.paramsHash()).append('|');
        for (long id : postIds) {
            text.append(id).append(',');
        }
        return Dataset.sha256(text.toString()).substring(0, 32);
    }

    /** Reads the output file and chooses the ad posts of this run. */
    static Plan plan(List<WindowsFile.Entry> windows, Options options, Records records, Set<String> inOpenBatchJobs) {
        Map<Long, SummaryRecord> last = new HashMap<>();
        Set<String> okKeys = new HashSet<>();
        Map<String, Long> monthTokens = new HashMap<>();
        YearMonth month = YearMonth.now(ZoneOffset.UTC);
        SummaryLog.read(options.output(), record -> {
            requireSameConfiguration(record, records, options.output());
            last.put(record.adPostId(), record);
            if (record.isOk() && record.reusedFrom() == null) {
                okKeys.add(record.windowKey());
            }
            if (record.key() != null && record.created() != null
                    && YearMonth.from(Instant.parse(record.created()).atZone(ZoneOffset.UTC)).equals(month)) {
                long tokens = nz(record.tokensIn()) + nz(record.tokensOut());
                monthTokens.merge(record.key(), tokens, Long::sum);
            }
        });

        Map<String, List<WindowsFile.Entry>> jobs = new LinkedHashMap<>();
        Map<String, List<WindowsFile.Entry>> reusable = new LinkedHashMap<>();
        List<WindowsFile.Entry> empty = new ArrayList<>();
        long done = 0;
        int taken = 0;
        for (WindowsFile.Entry window : windows) {
            SummaryRecord previous = last.get(window.adPostId());
            // A window that changed since its record (new or removed previous posts) is summarized again.
            boolean changed = previous != null && previous.postIds() != null
                    && !previous.postIds().equals(Arrays.stream(window.prevPostIds()).boxed().toList());
            boolean todo = changed || (previous == null ? !options.retryFailed()
                    : !previous.isOk() && (previous.isRetryable() || options.retryFailed()));
            if (!todo) {
                done += previous != null ? 1 : 0;
                continue;
            }
            if (options.limit() > 0 && taken >= options.limit()) {
                continue;
            }
            taken++;
            if (window.prevPostIds().length == 0) {
                empty.add(window);
                continue;
            }
            String key = windowKey(records, window.prevPostIds());
            if (inOpenBatchJobs.contains(key)) {
                continue;
            }
            (okKeys.contains(key) ? reusable : jobs).computeIfAbsent(key, k -> new ArrayList<>()).add(window);
        }
        return new Plan(jobs, empty, reusable, done, monthTokens);
    }

    private static void requireSameConfiguration(SummaryRecord record, Records records, Path file) {
        if (!records.model().equals(record.model()) || !records.promptHash().equals(record.promptHash())
                || !records.paramsHash().equals(record.paramsHash())) {
            throw new UserException("summarize.other-configuration", file, record.adPostId(), record.model(),
                    record.promptHash(), record.paramsHash(), records.model(), records.promptHash(), records.paramsHash());
        }
    }

    private static long nz(Long value) {
        return value == null ? 0 : value;
    }

    /** Writes records for empty windows and for windows an earlier run summarized; returns the reused count. */
    private static long writeWithoutCalls(Plan plan, Options options, Records records, SummaryLog.Appender out) {
        List<SummaryRecord> lines = new ArrayList<>();
        for (WindowsFile.Entry window : plan.empty()) {
            WindowJob job = new WindowJob(null, new long[] {window.adPostId()}, window.channelId(), new long[0],
                    WindowPrompt.Channel.NONE, List.of());
            lines.addAll(records.failed(job, "empty_window", null, false, null));
        }
        out.append(lines);
        if (plan.reusable().isEmpty()) {
            return 0;
        }
        Map<String, SummaryRecord> sources = new HashMap<>();
        SummaryLog.read(options.output(), record -> {
            if (record.isOk() && record.reusedFrom() == null && plan.reusable().containsKey(record.windowKey())) {
                sources.putIfAbsent(record.windowKey(), record);
            }
        });
        long reused = 0;
        lines.clear();
        for (Map.Entry<String, List<WindowsFile.Entry>> entry : plan.reusable().entrySet()) {
            SummaryRecord source = sources.get(entry.getKey());
            for (WindowsFile.Entry window : entry.getValue()) {
                lines.add(records.reused(window.adPostId(), window.channelId(), source));
                reused++;
            }
        }
        out.append(lines);
        return reused;
    }

    /** The estimate printed before any call. */
    record Estimate(long calls, long tokensIn, long tokensOutMax, long noText, long tooLong, long trimmed,
                    long dropped) {
    }

    private static Estimate estimate(Plan plan, Options options, WindowPacker packer, String systemPrompt,
                                     LongFunction<WindowPrompt.Channel> channels) {
        long[] counts = new long[6];
        if (!plan.jobs().isEmpty()) {
            Log.info("summarize.estimating", plan.jobs().size());
        }
        forEachJob(plan, options, channels, job -> {
            if (job.texts.isEmpty()) {
                counts[2]++;
                return;
            }
            job.pack(packer, systemPrompt);
            if (!job.packed.fits()) {
                counts[3]++;
                return;
            }
            counts[0]++;
            counts[1] += job.packed.inputTokens();
            counts[4] += job.packed.postsTrimmed();
            counts[5] += job.packed.postsDropped();
        });
        return new Estimate(counts[0], counts[1], counts[0] * options.maxOutputTokens(), counts[2], counts[3],
                counts[4], counts[5]);
    }

    private static void printEstimate(Estimate estimate, Options options, ApiKeys keys, Plan plan) {
        double rps = 0;
        long tpm = 0;
        long month = 0;
        boolean unlimitedRequests = false;
        boolean unlimitedTokens = false;
        for (RateLimiter.Limits limits : keys.organizations().values()) {
            rps += limits.requestsPerSecond();
            tpm += limits.tokensPerMinute();
            month += limits.tokensPerMonth();
            unlimitedRequests |= limits.requestsPerSecond() == 0;
            unlimitedTokens |= limits.tokensPerMinute() == 0;
        }
        long tokens = estimate.tokensIn() + estimate.tokensOutMax();
        String time;
        if (options.batch() != null) {
            time = chanemb.Messages.get("summarize.time-batch");
        } else if (unlimitedRequests && unlimitedTokens) {
            time = chanemb.Messages.get("summarize.time-unlimited");
        } else {
            double byRequests = unlimitedRequests ? 0 : estimate.calls() / rps;
            double byTokens = unlimitedTokens ? 0 : tokens * 60.0 / tpm;
            time = Progress.formatDuration(Math.max(byRequests, byTokens) * (1 + RateLimiter.MARGIN));
        }
        Double cost = options.prices().cost(estimate.tokensIn(), estimate.tokensOutMax(), options.batch() != null);
        Log.info("summarize.estimate", estimate.calls(), estimate.tokensIn(), estimate.tokensOutMax(),
                keys.keys().size(), keys.organizations().size(), time, formatCost(cost));
        if (estimate.trimmed() + estimate.dropped() + estimate.noText() + estimate.tooLong() > 0) {
            Log.info("summarize.estimate-packing", estimate.trimmed(), estimate.dropped(), estimate.noText(),
                    estimate.tooLong());
        }
        long usedThisMonth = plan.monthTokensByKey().values().stream().mapToLong(Long::longValue).sum();
        boolean monthLimited = keys.organizations().values().stream().allMatch(l -> l.tokensPerMonth() > 0);
        if (monthLimited && options.batch() == null && usedThisMonth + tokens > month) {
            Log.warn("summarize.estimate-month", tokens, Math.max(0, month - usedThisMonth));
        }
        if (options.prices().input() == null || options.prices().output() == null) {
            Log.info("summarize.no-prices");
        }
    }

    /** Formats a cost in USD, or "-" when prices are not configured. */
    public static String formatCost(Double cost) {
        return cost == null ? "-" : String.format(java.util.Locale.ROOT, "$%.2f", cost);
    }

    /** Monthly usage per organization, from the per-key usage recorded in the output file. */
    private static Map<String, Long> monthByOrganization(ApiKeys keys, Map<String, Long> byKey) {
        Map<String, Long> byOrganization = new HashMap<>();
        for (ApiKeys.Key key : keys.keys()) {
            byOrganization.merge(key.organization(), byKey.getOrDefault(key.label(), 0L), Long::sum);
        }
        return byOrganization;
    }

    /** Builds the jobs of the plan chunk by chunk, with their texts and channel, unpacked. */
    static void forEachJob(Plan plan, Options options, LongFunction<WindowPrompt.Channel> channels,
                           Consumer<WindowJob> consumer) {
        List<Map.Entry<String, List<WindowsFile.Entry>>> entries = new ArrayList<>(plan.jobs().entrySet());
        Map<Long, WindowPrompt.Channel> channelCache = new HashMap<>();
        try (WindowTexts texts = new WindowTexts(options.textsDir())) {
            for (int from = 0; from < entries.size(); from += CHUNK_WINDOWS) {
                List<Map.Entry<String, List<WindowsFile.Entry>>> chunk =
                        entries.subList(from, Math.min(entries.size(), from + CHUNK_WINDOWS));
                Map<Long, String> byId = texts.load(chunk.stream()
                        .flatMapToLong(e -> java.util.Arrays.stream(e.getValue().get(0).prevPostIds()))
                        .distinct().toArray());
                for (Map.Entry<String, List<WindowsFile.Entry>> entry : chunk) {
                    WindowsFile.Entry first = entry.getValue().get(0);
                    List<String> postTexts = new ArrayList<>();
                    for (long id : first.prevPostIds()) {
                        String text = byId.get(id);
                        if (text != null && chanemb.Texts.isTextPost(text)) {
                            postTexts.add(text);
                        }
                    }
                    long[] adIds = entry.getValue().stream().mapToLong(WindowsFile.Entry::adPostId).toArray();
                    WindowPrompt.Channel channel = channelCache.computeIfAbsent(first.channelId(), channels::apply);
                    WindowJob job = new WindowJob(entry.getKey(), adIds, first.channelId(), first.prevPostIds(),
                            channel, postTexts);
                    job.maxTokens = options.maxOutputTokens();
                    consumer.accept(job);
                }
            }
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /**
     * Packs jobs on its own thread into a bounded queue, so texts are read while calls run and
     * memory keeps one chunk at a time. Windows without text, or too long for the budget even with
     * one trimmed post, are written as failed here.
     */
    static final class Producer implements OnlineRunner.JobSource {
        private final Plan plan;
        private final Options options;
        private final WindowPacker packer;
        private final String systemPrompt;
        private final LongFunction<WindowPrompt.Channel> channels;
        private final Records records;
        private final SummaryLog.Appender out;
        private final BlockingQueue<WindowJob> queue = new ArrayBlockingQueue<>(256);
        private volatile boolean done;
        private volatile boolean stopped;
        private volatile RuntimeException error;
        private Thread thread;
        Progress progress;
        long noText;
        long tooLong;

        Producer(Plan plan, Options options, WindowPacker packer, String systemPrompt,
                 LongFunction<WindowPrompt.Channel> channels, Records records, SummaryLog.Appender out) {
            this.plan = plan;
            this.options = options;
            this.packer = packer;
            this.systemPrompt = systemPrompt;
            this.channels = channels;
            this.records = records;
            this.out = out;
        }

        void start() {
            thread = new Thread(() -> {
                try {
                    produce(this::put);
                } catch (Stopped e) {
                    // stop() was called: the rest stays pending.
                } catch (RuntimeException e) {
                    error = e;
                } finally {
                    done = true;
                }
            }, "summarize-packer");
            thread.setDaemon(true);
            thread.start();
        }

        /** Packs every job and hands it to {@code consumer}; failed windows are written here. */
        void produce(Consumer<WindowJob> consumer) {
            forEachJob(plan, options, channels, job -> {
                if (stopped) {
                    throw new Stopped();
                }
                if (job.texts.isEmpty()) {
                    out.append(records.failed(job, "no_text", null, false, null));
                    noText += job.adPostIds.length;
                    progress.advance(job.adPostIds.length);
                    return;
                }
                job.pack(packer, systemPrompt);
                if (!job.packed.fits()) {
                    out.append(records.failed(job, "prompt_too_long", "the system prompt leaves no room for posts", false,
                            null));
                    tooLong += job.adPostIds.length;
                    progress.advance(job.adPostIds.length);
                    return;
                }
                consumer.accept(job);
            });
        }

        private void put(WindowJob job) {
            try {
                while (!stopped && !queue.offer(job, 100, TimeUnit.MILLISECONDS)) {
                    // The callers are busy; wait for room.
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }

        @Override
        public WindowJob poll() {
            return queue.poll();
        }

        @Override
        public boolean exhausted() {
            return done && queue.isEmpty();
        }

        void stop() {
            stopped = true;
            if (thread != null) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Ends {@link #produce} early once the caller has stopped. */
        private static final class Stopped extends RuntimeException {
            Stopped() {
                super(null, null, false, false);
            }
        }

        void rethrow() {
            if (error != null) {
                throw error;
            }
        }
    }
}
