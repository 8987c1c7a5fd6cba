package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Retry decisions, pure. */
class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(RetryPolicy.Settings.defaults(), new Random(1));

    private RetryPolicy.Decision decide(RetryPolicy.Kind kind, RetryPolicy.Attempts attempts) {
        attempts.calls++;
        return policy.decide(new RetryPolicy.Failure(kind, "test"), attempts, Duration.ZERO);
    }

    @Test
    void retryAfterIsWaitedAtLeast() {
        RetryPolicy.Decision decision = policy.decide(
                new RetryPolicy.Failure(RetryPolicy.Kind.RATE_LIMITED, "429", Duration.ofSeconds(2)),
                new RetryPolicy.Attempts(), Duration.ZERO);

        assertThat(decision).isInstanceOf(RetryPolicy.Retry.class);
        Duration delay = ((RetryPolicy.Retry) decision).delay();
        assertThat(delay).isBetween(Duration.ofSeconds(2), Duration.ofMillis(2200));
    }

    @Test
    void backoffGrowsWithJitterUpToTheMaximum() {
        assertThat(policy.backoff(1)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
        assertThat(policy.backoff(4)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8));
        assertThat(policy.backoff(40)).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    @Test
    void transientFailuresStopAtMaxAttempts() {
        RetryPolicy.Attempts attempts = new RetryPolicy.Attempts();
        RetryPolicy.Decision decision = null;
        for (int i = 0; i < 8; i++) {
            decision = decide(RetryPolicy.Kind.SERVER_ERROR, attempts);
        }

        assertThat(attempts.calls).isEqualTo(8);
        assertThat(decision).isEqualTo(new RetryPolicy.GiveUp("server_error", true));
    }

    @Test
    void transientFailuresStopAtMaxElapsed() {
        RetryPolicy.Decision decision = policy.decide(new RetryPolicy.Failure(RetryPolicy.Kind.TIMEOUT, "t"),
                new RetryPolicy.Attempts(), Duration.ofMinutes(10));

        assertThat(decision).isEqualTo(new RetryPolicy.GiveUp("timeout", true));
    }

    @Test
    void contextLengthShrinksOnceThenGivesUp() {
        RetryPolicy.Attempts attempts = new RetryPolicy.Attempts();

        RetryPolicy.Decision first = decide(RetryPolicy.Kind.CONTEXT_LENGTH, attempts);
        RetryPolicy.Decision second = decide(RetryPolicy.Kind.CONTEXT_LENGTH, attempts);

        assertThat(first).isEqualTo(new RetryPolicy.Retry(Duration.ZERO, RetryPolicy.Change.SHRINK_INPUT));
        assertThat(second).isEqualTo(new RetryPolicy.GiveUp("context_length", false));
    }

    @Test
    void badRequestIsNeverRetried() {
        assertThat(decide(RetryPolicy.Kind.BAD_REQUEST, new RetryPolicy.Attempts()))
                .isEqualTo(new RetryPolicy.GiveUp("bad_request", false));
    }

    @Test
    void cutOffReplyGetsLargerBudgetOnce() {
        RetryPolicy.Attempts attempts = new RetryPolicy.Attempts();

        RetryPolicy.Decision first = decide(RetryPolicy.Kind.LENGTH, attempts);
        RetryPolicy.Decision second = decide(RetryPolicy.Kind.LENGTH, attempts);

        assertThat(first).isEqualTo(new RetryPolicy.Retry(Duration.ZERO, RetryPolicy.Change.LARGER_OUTPUT));
        assertThat(second).isEqualTo(new RetryPolicy.GiveUp("length", false));
    }

    @Test
    void retryAfterParsesSecondsAndDates() {
        Instant now = Instant.parse("2026-12-04T10:00:00Z");

        assertThat(RetryPolicy.parseRetryAfter("2", now)).contains(Duration.ofSeconds(2));
        assertThat(RetryPolicy.parseRetryAfter("0.5", now)).contains(Duration.ofMillis(500));
        assertThat(RetryPolicy.parseRetryAfter("Fri, 04 Dec 2026 10:00:03 GMT", now)).contains(Duration.ofSeconds(3));
        assertThat(RetryPolicy.parseRetryAfter("soon", now)).isEmpty();
        assertThat(RetryPolicy.parseRetryAfter(null, now)).isEmpty();
    }
}
