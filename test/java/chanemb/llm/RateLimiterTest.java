package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The limiter under a simulated clock: limits are never exceeded and at least 95% used. */
class RateLimiterTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** Starts requests of {@code tokens} as soon as allowed for {@code seconds}; returns the start times. */
    private static List<long[]> drive(RateLimiter limiter, long tokens, long seconds) {
        List<long[]> starts = new ArrayList<>();
        long now = 0;
        while (now < seconds * SECOND) {
            long at = limiter.earliestStart(now, tokens);
            if (at == Long.MAX_VALUE) {
                break;
            }
            now = at;
            RateLimiter.Permit permit = limiter.tryAcquire(now, tokens);
            assertThat(permit).isNotNull();
            limiter.settle(permit, tokens);
            starts.add(new long[] {now, tokens});
        }
        return starts;
    }

    private static long maxInWindow(List<long[]> starts, long window, boolean sumTokens) {
        long max = 0;
        for (int i = 0; i < starts.size(); i++) {
            long sum = 0;
            for (int j = i; j < starts.size() && starts.get(j)[0] < starts.get(i)[0] + window; j++) {
                sum += sumTokens ? starts.get(j)[1] : 1;
            }
            max = Math.max(max, sum);
        }
        return max;
    }

    @Test
    void oneRequestPerSecondIsKeptAndUsed() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(1, 0, 0), 0);

        List<long[]> starts = drive(limiter, 7_500, 600);

        assertThat(maxInWindow(starts, SECOND, false)).isEqualTo(1);
        assertThat(starts.size() / 600.0).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void burstLimitAllowsNPerWindow() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(5, 0, 0), 0);

        List<long[]> starts = drive(limiter, 100, 120);

        assertThat(maxInWindow(starts, SECOND, false)).isEqualTo(5);
        assertThat(starts.size() / (5 * 120.0)).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void tokensPerMinuteIsKeptAndUsed() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(10, 500_000, 0), 0);

        List<long[]> starts = drive(limiter, 9_000, 1200);

        long minute = 60 * SECOND;
        assertThat(maxInWindow(starts, minute, true)).isLessThanOrEqualTo(500_000);
        double tokensPerMinute = starts.stream().mapToLong(s -> s[1]).sum() / 20.0;
        assertThat(tokensPerMinute / 500_000).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void settledUsageFreesTheWindow() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(0, 10_000, 0), 0);
        RateLimiter.Permit first = limiter.tryAcquire(0, 8_000);

        boolean blockedBefore = limiter.tryAcquire(1, 8_000) == null;
        limiter.settle(first, 1_000);
        RateLimiter.Permit second = limiter.tryAcquire(2, 8_000);

        assertThat(blockedBefore).isTrue();
        assertThat(second).isNotNull();
    }

    @Test
    void monthlyLimitStopsStarts() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Limits(0, 0, 20_000), 5_000);

        RateLimiter.Permit first = limiter.tryAcquire(0, 10_000);
        long never = limiter.earliestStart(1, 10_000);

        assertThat(first).isNotNull();
        assertThat(never).isEqualTo(Long.MAX_VALUE);
        assertThat(limiter.monthExhausted(10_000)).isTrue();
    }

    @Test
    void pauseDelaysEveryStart() {
        RateLimiter limiter = new RateLimiter(RateLimiter.Limits.NONE, 0);

        limiter.pauseUntil(5 * SECOND);

        assertThat(limiter.earliestStart(0, 1)).isEqualTo(5 * SECOND);
        assertThat(limiter.tryAcquire(SECOND, 1)).isNull();
    }
}
