package chanemb.llm;

import chanemb.Log;
import chanemb.Progress;
import chanemb.UserException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * Summarizes window jobs through the chat completions API with several keys at once.
 *
 * <p>One scheduling thread starts every call: it takes the next due retry or the next new job,
 * picks the key whose organization's {@link RateLimiter} lets it start soonest (and that has a
 * free concurrency slot), waits until that moment and hands the call to a worker thread. Workers
 * check the reply, write the records and settle the token reservation with the real usage. A
 * failed call goes back to the scheduler with the delay {@link RetryPolicy} gives it, or is
 * written as failed.
 */
public final class OnlineRunner {
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ChatClient client;
    private final List<ApiKeys.Key> keys;
    private final Map<String, RateLimiter> limiters;
    private final RetryPolicy policy;
    private final WindowPacker packer;
    private final Settings settings;
    private final Records records;
    private final SummaryLog.Appender out;
    private final Progress progress;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<WindowJob> retries = new PriorityQueue<>(Comparator.comparingLong(j -> j.notBeforeNanos));
    private final Map<ApiKeys.Key, Integer> inFlightByKey = new HashMap<>();
    private final Map<ApiKeys.Key, Boolean> rejectedKeys = new ConcurrentHashMap<>();
    private int inFlight;
    private WindowJob nextNew;
    private RuntimeException fatal;
    private final Stats stats = new Stats();

    /** Call settings: model, system prompt, reply mode, temperature and output budget. */
    public record Settings(String model, String systemPrompt, Replies.Mode mode, double temperature,
                           int maxOutputTokens) {
        /** Upper bound of the output budget after "length" retries: four times the configured one. */
        int maxOutputCap() {
            return maxOutputTokens * 4;
        }
    }

    /** The source of new jobs. {@code poll} returns null when none is ready yet. */
    public interface JobSource {
        WindowJob poll();

        boolean exhausted();
    }

    /** Counts of one run; tokens per key label. */
    public static final class Stats {
        public final AtomicLong adPostsOk = new AtomicLong();
        public final AtomicLong adPostsFailed = new AtomicLong();
        public final AtomicLong adPostsRetryable = new AtomicLong();
        public final AtomicLong sharedWindows = new AtomicLong();
        public final AtomicLong calls = new AtomicLong();
        public final AtomicLong retries = new AtomicLong();
        public final AtomicLong nulRepaired = new AtomicLong();
        public final Map<String, AtomicLong[]> tokensByKey = new ConcurrentHashMap<>();
        public final Map<String, AtomicInteger> failuresByReason = new ConcurrentHashMap<>();
        public volatile boolean monthlyLimitReached;

        void addTokens(String key, long in, long out) {
            AtomicLong[] counts = tokensByKey.computeIfAbsent(key, k -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
            counts[0].addAndGet(in);
            counts[1].addAndGet(out);
        }

        public long tokensIn() {
            return tokensByKey.values().stream().mapToLong(c -> c[0].get()).sum();
        }

        public long tokensOut() {
            return tokensByKey.values().stream().mapToLong(c -> c[1].get()).sum();
        }
    }

    public OnlineRunner(ChatClient client, ApiKeys keys, Map<String, RateLimiter> limiters, RetryPolicy policy,
                        WindowPacker packer, Settings settings, Records records, SummaryLog.Appender out,
                        Progress progress) {
        this.client = client;
        this.keys = keys.keys();
        this.limiters = limiters;
        this.policy = policy;
        this.packer = packer;
        this.settings = settings;
        this.records = records;
        this.out = out;
        this.progress = progress;
        for (ApiKeys.Key key : this.keys) {
            inFlightByKey.put(key, 0);
        }
    }

    /** Creates one limiter per organization, with the tokens already used this month. */
    public static Map<String, RateLimiter> limiters(ApiKeys keys, Map<String, Long> monthUsedByOrganization) {
        Map<String, RateLimiter> limiters = new HashMap<>();
        keys.organizations().forEach((name, limits) ->
                limiters.put(name, new RateLimiter(limits, monthUsedByOrganization.getOrDefault(name, 0L))));
        return limiters;
    }

    /** Runs until every job is written as ok or failed, or the monthly limits stop new calls. */
    public Stats run(JobSource source) {
        int threads = keys.stream().mapToInt(ApiKeys.Key::concurrency).sum();
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "llm-call-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            schedule(source, workers);
            awaitInFlight();
        } finally {
            workers.shutdownNow();
        }
        if (fatal != null) {
            throw fatal;
        }
        return stats;
    }

    private void schedule(JobSource source, ExecutorService workers) {
        try {
            while (true) {
                lock.lock();
                try {
                    if (fatal != null) {
                        return;
                    }
                    long now = System.nanoTime();
                    boolean isRetry = !retries.isEmpty() && retries.peek().notBeforeNanos <= now;
                    if (!isRetry && nextNew == null) {
                        nextNew = source.poll();
                    }
                    WindowJob job = isRetry ? retries.peek() : nextNew;
                    if (job == null) {
                        if (source.exhausted() && retries.isEmpty() && inFlight == 0) {
                            return;
                        }
                        long wait = retries.isEmpty() ? MAX_WAIT_NANOS
                                : Math.min(MAX_WAIT_NANOS, retries.peek().notBeforeNanos - now);
                        changed.awaitNanos(Math.max(1, wait));
                        continue;
                    }
                    long cost = cost(job);
                    ApiKeys.Key key = null;
                    long at = Long.MAX_VALUE;
                    boolean anyUsable = false;
                    for (ApiKeys.Key candidate : keys) {
                        if (rejectedKeys.containsKey(candidate)) {
                            continue;
                        }
                        RateLimiter limiter = limiters.get(candidate.organization());
                        if (limiter.neverFits(cost)) {
                            continue;
                        }
                        anyUsable = true;
                        if (inFlightByKey.get(candidate) >= candidate.concurrency()) {
                            continue;
                        }
                        long start = limiter.earliestStart(now, cost);
                        if (start < at || (start == at && key != null && inFlightByKey.get(candidate) < inFlightByKey.get(key))) {
                            at = start;
                            key = candidate;
                        }
                    }
                    if (!anyUsable) {
                        stats.monthlyLimitReached = true;
                        return;
                    }
                    if (key == null || at > now) {
                        long wait = key == null ? MAX_WAIT_NANOS : Math.min(MAX_WAIT_NANOS, at - now);
                        changed.awaitNanos(Math.max(1, wait));
                        continue;
                    }
                    RateLimiter.Permit permit = limiters.get(key.organization()).tryAcquire(now, cost);
                    if (isRetry) {
                        retries.poll();
                    } else {
                        nextNew = null;
                    }
                    inFlight++;
                    inFlightByKey.merge(key, 1, Integer::sum);
                    ApiKeys.Key chosen = key;
                    workers.execute(() -> call(job, chosen, permit));
                } finally {
                    lock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while scheduling calls", e);
        }
    }

    private void awaitInFlight() {
        lock.lock();
        try {
            while (inFlight > 0) {
                changed.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Tokens to reserve for a call: the packed input plus the whole output budget. */
    private static long cost(WindowJob job) {
        return job.packed.inputTokens() + (long) job.maxTokens;
    }

    private void call(WindowJob job, ApiKeys.Key key, RateLimiter.Permit permit) {
        try {
            callAndRecord(job, key, permit);
        } catch (RuntimeException e) {
            lock.lock();
            try {
                if (fatal == null) {
                    fatal = e;
                }
            } finally {
                lock.unlock();
            }
        } finally {
            lock.lock();
            try {
                inFlight--;
                inFlightByKey.merge(key, -1, Integer::sum);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void callAndRecord(WindowJob job, ApiKeys.Key key, RateLimiter.Permit permit) {
        if (job.attempts.calls == 0) {
            job.firstCallNanos = System.nanoTime();
        }
        job.attempts.calls++;
        stats.calls.incrementAndGet();
        ChatClient.ChatRequest request = new ChatClient.ChatRequest(settings.model(), settings.systemPrompt(),
                job.packed.userMessage(), settings.temperature(), job.maxTokens,
                settings.mode() == Replies.Mode.STRUCTURED ? Replies.responseFormat() : null);
        RateLimiter limiter = limiters.get(key.organization());
        ChatClient.Result result = client.complete(key, request, () -> limiter.restamp(permit, System.nanoTime()));

        // Settle the reservation: real usage for a reply, the input estimate for a failure the
        // server may have processed, nothing for a 429.
        long used = result.isReply() ? result.promptTokens() + result.completionTokens()
                : result.failure().kind() == RetryPolicy.Kind.RATE_LIMITED ? 0 : job.packed.inputTokens();
        limiter.settle(permit, used);
        job.tokensIn += result.promptTokens();
        job.tokensOut += result.completionTokens();
        job.latencyMs = result.latencyMs();
        job.lastKey = key.label();
        stats.addTokens(key.label(), result.promptTokens(), result.completionTokens());

        RetryPolicy.Failure failure = result.failure();
        if (failure == null) {
            Replies.Checked checked = Replies.check(settings.mode(), result.content(), result.finishReason());
            if (checked.summary() != null) {
                if (checked.summary().nulRemoved()) {
                    stats.nulRepaired.incrementAndGet();
                }
                out.append(records.ok(job, checked.summary(), null));
                stats.adPostsOk.addAndGet(job.adPostIds.length);
                stats.sharedWindows.addAndGet(job.adPostIds.length - 1);
                progress.advance(job.adPostIds.length);
                return;
            }
            failure = checked.failure();
        }
        handleFailure(job, key, failure);
    }

    private void handleFailure(WindowJob job, ApiKeys.Key key, RetryPolicy.Failure failure) {
        if (failure.kind() == RetryPolicy.Kind.UNAUTHORIZED) {
            rejectKey(key, failure);
            job.attempts.calls--;
            requeue(job, 0);
            return;
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - job.firstCallNanos);
        RetryPolicy.Decision decision = policy.decide(failure, job.attempts, elapsed);
        if (decision instanceof RetryPolicy.Retry retry) {
            stats.retries.incrementAndGet();
            switch (retry.change()) {
                case LARGER_OUTPUT -> job.maxTokens = Math.min(settings.maxOutputCap(), job.maxTokens * 2);
                case SHRINK_INPUT -> {
                    job.budget = job.budget.shrunk(job.packed.inputTokens());
                    job.pack(packer, settings.systemPrompt());
                }
                default -> {
                }
            }
            if (retry.change() == RetryPolicy.Change.SHRINK_INPUT && !job.packed.fits()) {
                giveUp(job, failure.kind().reason, failure.detail(), false);
                return;
            }
            Log.warn("summarize.retry", job.describe(), failure.detail(), key.label(), job.attempts.calls + 1,
                    policy.settings().maxAttempts(), String.format("%.1f", retry.delay().toMillis() / 1000.0),
                    retry.change().name().toLowerCase());
            if (failure.kind() == RetryPolicy.Kind.RATE_LIMITED) {
                RateLimiter limiter = limiters.get(key.organization());
                limiter.rateLimited();
                limiter.pauseUntil(System.nanoTime() + retry.delay().toNanos());
            }
            requeue(job, retry.delay().toNanos());
            return;
        }
        RetryPolicy.GiveUp giveUp = (RetryPolicy.GiveUp) decision;
        Log.warn("summarize.gave-up", job.describe(), giveUp.reason(), failure.detail(), job.attempts.calls,
                giveUp.retryable() ? 1 : 0);
        giveUp(job, giveUp.reason(), failure.detail(), giveUp.retryable());
    }

    private void giveUp(WindowJob job, String reason, String detail, boolean retryable) {
        out.append(records.failed(job, reason, detail, retryable, null));
        stats.adPostsFailed.addAndGet(job.adPostIds.length);
        if (retryable) {
            stats.adPostsRetryable.addAndGet(job.adPostIds.length);
        }
        stats.failuresByReason.computeIfAbsent(reason, r -> new AtomicInteger()).addAndGet(job.adPostIds.length);
        progress.advance(job.adPostIds.length);
    }

    private void requeue(WindowJob job, long delayNanos) {
        lock.lock();
        try {
            job.notBeforeNanos = System.nanoTime() + delayNanos;
            retries.add(job);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void rejectKey(ApiKeys.Key key, RetryPolicy.Failure failure) {
        if (rejectedKeys.putIfAbsent(key, Boolean.TRUE) != null) {
            return;
        }
        Log.error("summarize.key-rejected", key.label(), key.envName() == null ? "-" : key.envName(), failure.detail());
        if (rejectedKeys.size() == keys.size()) {
            lock.lock();
            try {
                if (fatal == null) {
                    fatal = new UserException("summarize.all-keys-rejected");
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Random source for the retry jitter. */
    public static RandomGenerator jitter() {
        return RandomGenerator.getDefault();
    }
}
