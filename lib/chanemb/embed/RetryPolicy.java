package chanemb.embed;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed HTTP call is tried again and how long to wait first. Retries are bounded twice:
 * at most {@code maxRetries} per call, and no wait may end later than {@code maxTotal} after the
 * first attempt started.
 *
 * <p>Retried: 408 and 429 (waiting as long as Retry-After requests), every 5xx, timeouts and broken
 * connections. Other 4xx answers are final: the same request would fail the same way.
 *
 * @param firstDelay wait before the first retry when the server gives no Retry-After; it doubles
 *                   with each retry, up to {@code maxDelay}, minus up to a quarter of random
 *                   jitter so that parallel requests do not retry in lockstep
 */
public record RetryPolicy(int maxRetries, Duration maxTotal, Duration firstDelay, Duration maxDelay) {
    /** Six retries within ten minutes, waiting about 1, 2, 4, 8, 16 and 30 seconds before them. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofMinutes(10), Duration.ofSeconds(1),
            Duration.ofSeconds(30));

    public RetryPolicy withMaxRetries(int retries) {
        return new RetryPolicy(retries, maxTotal, firstDelay, maxDelay);
    }

    public static boolean isRetryable(int status) {
        return status == 408 || status == 429 || status >= 500;
    }

    /**
     * Returns the wait before retry number {@code retry} (1 for the first): what Retry-After
     * requests when the header is valid, else the backoff.
     */
    public Duration delay(int retry, String retryAfter, Instant now) {
        Duration asked = parseRetryAfter(retryAfter, now);
        if (asked != null) {
            return asked;
        }
        long base = firstDelay.toMillis() << Math.min(retry - 1, 20);
        long capped = Math.min(base, maxDelay.toMillis());
        long jitter = capped / 4 == 0 ? 0 : ThreadLocalRandom.current().nextLong(capped / 4 + 1);
        return Duration.ofMillis(capped - jitter);
    }

    /** Reads Retry-After as seconds or as an HTTP date; null when absent or invalid. */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.trim();
        try {
            long seconds = Long.parseLong(trimmed);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration until = Duration.between(now, at);
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }
}
