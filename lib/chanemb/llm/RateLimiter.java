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
 * <p>Windows are stretched by a margin, 2% to start with: a request that leaves on time can
 * still reach the server a little early relative to the one before it, and 2% of a 1 s window
 * is 20 ms of such jitter. The schedule thus uses 98% of each configured limit. Each 429 from the
 * server widens the margin by 2 points, up to 10%, because the delays are larger than the margin
 * covers. Each accepted call narrows it again by 0.05 points, so after a burst of jitter the
 * margin returns to 2% within 40 calls per widening.
 */
public final class RateLimiter {
    public static final double MARGIN = 0.02;
    static final double MAX_MARGIN = 0.10;
    private static final double WIDEN = 0.02;
    private static final double NARROW = 0.0005;
    private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

    private final Limits limits;
    private final long[] starts;
    private final double requestWindowSeconds;
    private double margin = MARGIN;
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
        long startNanos;
        long tokens;
        final int slot;

        Permit(long startNanos, long tokens, int slot) {
            this.startNanos = startNanos;
            this.tokens = tokens;
            this.slot = slot;
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
        this.requestWindowSeconds = n == 0 ? 0 : n / limits.requestsPerSecond();
        this.monthUsed = monthUsed;
    }

    public Limits limits() {
        return limits;
    }

    private long requestWindowNanos() {
        return (long) (requestWindowSeconds * 1e9 * (1 + margin));
    }

    private long tokenWindowNanos() {
        return (long) (MINUTE_NANOS * (1 + margin));
    }

    /** Returns the current margin, from {@link #MARGIN} up to 10%. */
    public synchronized double margin() {
        return margin;
    }

    /** Widens the margin after a 429 response, because the delays on the way are larger than it covers. */
    public synchronized void rateLimited() {
        margin = Math.min(MAX_MARGIN, margin + WIDEN);
    }

    /**
     * True when a request of {@code tokens} can never start: the monthly limit has no room for it.
     * A request larger than the per-minute limit is not refused: it waits for an empty window.
     */
    public synchronized boolean neverFits(long tokens) {
        return monthExhausted(tokens);
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
            at = Math.max(at, starts[startCount % starts.length] + requestWindowNanos());
        }
        if (limits.tokensPerMinute() > 0) {
            expire(now);
            long excess = tokensInWindow + Math.min(tokens, limits.tokensPerMinute()) - limits.tokensPerMinute();
            if (excess > 0) {
                // Wait until enough of the oldest starts leave the window. Starts that leave before
                // the request limit allows a start anyway do not move the time.
                Iterator<Permit> oldest = recent.iterator();
                while (excess > 0 && oldest.hasNext()) {
                    Permit permit = oldest.next();
                    excess -= permit.tokens;
                    at = Math.max(at, permit.startNanos + tokenWindowNanos());
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
        Permit permit = new Permit(now, tokens, startCount);
        startCount++;
        recent.addLast(permit);
        tokensInWindow += tokens;
        monthReserved += tokens;
        return permit;
    }

    /**
     * Moves a permit's start to the moment the request really leaves, which is later than the
     * moment it was granted by the time a worker thread takes it and builds the request body.
     * Later starts are then spaced from the real departure, so that delay cannot push two
     * requests into one window at the server.
     */
    public synchronized void restamp(Permit permit, long sentNanos) {
        if (sentNanos <= permit.startNanos) {
            return;
        }
        if (starts.length > 0 && startCount - permit.slot <= starts.length) {
            int index = permit.slot % starts.length;
            starts[index] = Math.max(starts[index], sentNanos);
        }
        permit.startNanos = sentNanos;
    }

    /** Replaces a permit's reservation by the tokens the request really used. */
    public synchronized void settle(Permit permit, long usedTokens) {
        if (usedTokens > 0) {
            margin = Math.max(MARGIN, margin - NARROW);
        }
        monthReserved -= permit.tokens;
        monthUsed += usedTokens;
        if (recent.contains(permit)) {
            tokensInWindow += usedTokens - permit.tokens;
        }
        permit.tokens = usedTokens;
    }

    /** Stops new starts until {@code until}, after a 429 response. */
    public synchronized void pauseUntil(long until) {
        pausedUntil = Math.max(pausedUntil, until);
    }

    public synchronized long monthUsed() {
        return monthUsed;
    }

    private void expire(long now) {
        while (!recent.isEmpty() && recent.peekFirst().startNanos + tokenWindowNanos() <= now) {
            tokensInWindow -= recent.removeFirst().tokens;
        }
    }
}
