package chanemb.llm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Request and token limits of one organization (all its API keys share them), as sliding windows
 * over start times. Pure: the caller passes the time in nanoseconds, so tests drive it with a
 * simulated clock.
 *
 * <ul>
 *   <li>Requests: at most n starts in any window of n / rps seconds, n = max(1, floor(rps)).
 *       For 1 rps that is one start per second; for 0.5 rps one per 2 s.</li>
 *   <li>Tokens per minute: the tokens of the requests started in any 60 s window, counted as
 *       reserved (input estimate plus the output budget) until the reply gives the real usage.</li>
 *   <li>Tokens per month: usage plus open reservations never pass the monthly limit.</li>
 * </ul>
 *
 * <p>Windows are stretched by {@link #MARGIN} (2%): a request that leaves on time can still
 * reach the server a little early relative to the one before it, and 2% of a 1 s window is
 * 20 ms of such jitter. The schedule thus uses 98% of each configured limit.
 */
public final class RateLimiter {
    public static final double MARGIN = 0.02;
    private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

    private final Limits limits;
    private final long[] starts;
    private final long requestWindowNanos;
    private final long tokenWindowNanos;
    private final ArrayDeque<Permit> recent = new ArrayDeque<>();
    private int startCount;
    private long tokensInWindow;
    private long monthUsed;
    private long monthReserved;
    private long pausedUntil = Long.MIN_VALUE;

    /** Limits of one organization; 0 means no limit. */
    public record Limits(double requestsPerSecond, long tokensPerMinute, long tokensPerMonth) {
        public Limits {
            if (requestsPerSecond < 0 || tokensPerMinute < 0 || tokensPerMonth < 0) {
                throw new IllegalArgumentException("limits must not be negative");
            }
        }

        public static final Limits NONE = new Limits(0, 0, 0);
    }

    /** A granted start: its time and the tokens reserved for it. */
    public static final class Permit {
        final long startNanos;
        long tokens;

        Permit(long startNanos, long tokens) {
            this.startNanos = startNanos;
            this.tokens = tokens;
        }

        public long tokens() {
            return tokens;
        }
    }

    /**
     * @param monthUsed tokens this organization already used this calendar month (UTC)
     */
    public RateLimiter(Limits limits, long monthUsed) {
        this.limits = limits;
        int n = limits.requestsPerSecond() > 0 ? (int) Math.max(1, Math.floor(limits.requestsPerSecond())) : 0;
        this.starts = new long[n];
        this.requestWindowNanos = n == 0 ? 0 : (long) (n / limits.requestsPerSecond() * 1e9 * (1 + MARGIN));
        this.tokenWindowNanos = (long) (MINUTE_NANOS * (1 + MARGIN));
        this.monthUsed = monthUsed;
    }

    public Limits limits() {
        return limits;
    }

    /** True when a request of {@code tokens} can never start: it alone passes a limit. */
    public synchronized boolean neverFits(long tokens) {
        return (limits.tokensPerMinute() > 0 && tokens > limits.tokensPerMinute()) || monthExhausted(tokens);
    }

    /** True when the monthly limit leaves no room for {@code tokens} more. */
    public synchronized boolean monthExhausted(long tokens) {
        return limits.tokensPerMonth() > 0 && monthUsed + monthReserved + tokens > limits.tokensPerMonth();
    }

    /**
     * Returns the earliest time, at or after {@code now}, when a request of {@code tokens} may
     * start, assuming no other start in between; {@code Long.MAX_VALUE} when it never may.
     */
    public synchronized long earliestStart(long now, long tokens) {
        if (neverFits(tokens)) {
            return Long.MAX_VALUE;
        }
        long at = Math.max(now, pausedUntil);
        if (starts.length > 0 && startCount >= starts.length) {
            at = Math.max(at, starts[startCount % starts.length] + requestWindowNanos);
        }
        if (limits.tokensPerMinute() > 0) {
            expire(now);
            long excess = tokensInWindow + tokens - limits.tokensPerMinute();
            if (excess > 0) {
                // Wait until enough of the oldest starts leave the window; those that leave
                // before the request limit allows a start anyway do not move the time.
                Iterator<Permit> oldest = recent.iterator();
                while (excess > 0 && oldest.hasNext()) {
                    Permit permit = oldest.next();
                    excess -= permit.tokens;
                    at = Math.max(at, permit.startNanos + tokenWindowNanos);
                }
            }
        }
        return at;
    }

    /** Starts a request now if the limits allow it; returns null otherwise. */
    public synchronized Permit tryAcquire(long now, long tokens) {
        if (earliestStart(now, tokens) > now) {
            return null;
        }
        if (starts.length > 0) {
            starts[startCount % starts.length] = now;
        }
        startCount++;
        Permit permit = new Permit(now, tokens);
        recent.addLast(permit);
        tokensInWindow += tokens;
        monthReserved += tokens;
        return permit;
    }

    /** Replaces a permit's reservation by the tokens the request really used. */
    public synchronized void settle(Permit permit, long usedTokens) {
        monthReserved -= permit.tokens;
        monthUsed += usedTokens;
        if (recent.contains(permit)) {
            tokensInWindow += usedTokens - permit.tokens;
        }
        permit.tokens = usedTokens;
    }

    /** Stops new starts until {@code until}, after the server answered 429. */
    public synchronized void pauseUntil(long until) {
        pausedUntil = Math.max(pausedUntil, until);
    }

    public synchronized long monthUsed() {
        return monthUsed;
    }

    private void expire(long now) {
        while (!recent.isEmpty() && recent.peekFirst().startNanos + tokenWindowNanos <= now) {
            tokensInWindow -= recent.removeFirst().tokens;
        }
    }
}
