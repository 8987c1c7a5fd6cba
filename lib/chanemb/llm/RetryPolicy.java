package chanemb.llm;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides what to do after a failed call. Pure apart from the jitter, whose random source the
 * caller passes in.
 *
 * <ul>
 *   <li>429: wait for the Retry-After delay (plus up to 10% jitter, at most 1 s), else back off
 *       exponentially with jitter.</li>
 *   <li>5xx (503 "capacity exceeded" included), timeouts, connection resets and replies that
 *       cannot be read: back off and retry; they are transient.</li>
 *   <li>Context length exceeded (400): shrink the prompt once; a second rejection gives up.
 *       Other 4xx errors are never resent unchanged: the ad post is recorded as failed.</li>
 *   <li>A reply cut off at the output budget: retry with a doubled budget, once by default.
 *       Empty content or invalid JSON in structured mode: retry, then record as failed.</li>
 * </ul>
 *
 * <p>Every retry is bounded by {@code maxAttempts} calls and {@code maxElapsed} total time per
 * ad post; a transient failure that runs out of either is recorded as retryable, so the next
 * run takes the ad post up again.
 */
public final class RetryPolicy {
    private final Settings settings;
    private final RandomGenerator random;

    public RetryPolicy(Settings settings, RandomGenerator random) {
        this.settings = settings;
        this.random = random;
    }

    public Settings settings() {
        return settings;
    }

    /** Bounds of the retries of one ad post. */
    public record Settings(int maxAttempts, Duration maxElapsed, Duration baseDelay, Duration maxDelay,
                           int maxReplyRetries, int maxLengthRetries) {
        public static Settings defaults() {
            return new Settings(8, Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofSeconds(60), 2, 1);
        }
    }

    /** Kinds of failure, each with the reason recorded when it is the last one. */
    public enum Kind {
        RATE_LIMITED("rate_limited", true),
        SERVER_ERROR("server_error", true),
        TIMEOUT("timeout", true),
        CONNECTION("connection", true),
        BAD_RESPONSE("bad_response", true),
        UNAUTHORIZED("unauthorized", true),
        CONTEXT_LENGTH("context_length", false),
        BAD_REQUEST("bad_request", false),
        LENGTH("length", false),
        EMPTY_REPLY("empty_reply", false),
        INVALID_JSON("invalid_json", false);

        public final String reason;
        public final boolean transientFailure;

        Kind(String reason, boolean transientFailure) {
            this.reason = reason;
            this.transientFailure = transientFailure;
        }
    }

    /** One failed call: its kind, a short description for logs, and the server's Retry-After. */
    public record Failure(Kind kind, String detail, Duration retryAfter) {
        public Failure(Kind kind, String detail) {
            this(kind, detail, null);
        }
    }

    /** The difference of the next call from the failed one. */
    public enum Change { NONE, LARGER_OUTPUT, SHRINK_INPUT }

    /** Counts of what was already tried for one ad post. */
    public static final class Attempts {
        public int calls;
        public int transientFailures;
        public int replyRetries;
        public int lengthRetries;
        public int shrinks;
    }

    /** The decision: retry after a delay, possibly changed, or give up with a reason. */
    public sealed interface Decision permits Retry, GiveUp {
    }

    public record Retry(Duration delay, Change change) implements Decision {
    }

    public record GiveUp(String reason, boolean retryable) implements Decision {
    }

    /**
     * Decides after the failure of call number {@code attempts.calls}; updates the counts of the
     * retry it grants.
     */
    public Decision decide(Failure failure, Attempts attempts, Duration elapsed) {
        Kind kind = failure.kind();
        if (attempts.calls >= settings.maxAttempts()) {
            return new GiveUp(kind.reason, kind.transientFailure);
        }
        switch (kind) {
            case CONTEXT_LENGTH -> {
                if (attempts.shrinks > 0) {
                    return new GiveUp(kind.reason, false);
                }
                attempts.shrinks++;
                return new Retry(Duration.ZERO, Change.SHRINK_INPUT);
            }
            case BAD_REQUEST -> {
                return new GiveUp(kind.reason, false);
            }
            case LENGTH -> {
                if (attempts.lengthRetries >= settings.maxLengthRetries()) {
                    return new GiveUp(kind.reason, false);
                }
                attempts.lengthRetries++;
                return new Retry(Duration.ZERO, Change.LARGER_OUTPUT);
            }
            case EMPTY_REPLY, INVALID_JSON -> {
                if (attempts.replyRetries >= settings.maxReplyRetries()) {
                    return new GiveUp(kind.reason, false);
                }
                attempts.replyRetries++;
                return new Retry(Duration.ZERO, Change.NONE);
            }
            default -> {
                attempts.transientFailures++;
                Duration delay = failure.retryAfter() != null
                        ? withJitter(failure.retryAfter())
                        : backoff(attempts.transientFailures);
                if (elapsed.plus(delay).compareTo(settings.maxElapsed()) > 0) {
                    return new GiveUp(kind.reason, true);
                }
                return new Retry(delay, Change.NONE);
            }
        }
    }

    /** Exponential backoff with jitter: a delay between d/2 and d, d = base * 2^(n-1) up to the maximum. */
    Duration backoff(int failures) {
        long base = settings.baseDelay().toMillis();
        long cap = settings.maxDelay().toMillis();
        long d = failures >= 31 ? cap : Math.min(cap, base << Math.max(0, failures - 1));
        return Duration.ofMillis(d / 2 + (long) (random.nextDouble() * (d - d / 2)));
    }

    /** Retry-After plus up to 10% of it, at most 1 s, so waiting callers do not return at once. */
    Duration withJitter(Duration retryAfter) {
        long extra = Math.min(1000, retryAfter.toMillis() / 10);
        return retryAfter.plusMillis((long) (random.nextDouble() * extra));
    }

    /** Parses a Retry-After header: seconds, or an HTTP date relative to {@code now}. */
    public static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String text = value.trim();
        try {
            double seconds = Double.parseDouble(text);
            if (seconds >= 0 && !Double.isInfinite(seconds)) {
                return Optional.of(Duration.ofMillis((long) Math.ceil(seconds * 1000)));
            }
            return Optional.empty();
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(now, at);
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }
}
