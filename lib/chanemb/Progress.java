package chanemb;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a long step on standard error, with rate and estimated time left.
 *
 * <p>On a terminal the line is redrawn in place at most twice a second; otherwise (logs, CI)
 * a plain line is printed every {@code CHANEMB_PROGRESS_SECONDS} seconds, 10 by default, so
 * log files stay readable. Safe to advance from several threads.
 */
public final class Progress implements AutoCloseable {
    private static final boolean TERMINAL = System.console() != null && System.getenv("CHANEMB_PROGRESS_SECONDS") == null;
    private static final long PLAIN_INTERVAL_NANOS = Duration.ofSeconds(envSeconds()).toNanos();
    private static final long TERMINAL_INTERVAL_NANOS = Duration.ofMillis(500).toNanos();

    /** Prefix of every progress line, such as "[3/7]" while the pipeline runs its third of seven steps. */
    private static volatile String stage = "";

    private final String task;
    private final String unit;
    private final long total;
    private final PrintStream out = System.err;
    private final long startNanos = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong lastPrintNanos = new AtomicLong(System.nanoTime());
    private volatile long lastPrinted = -1;
    private final boolean enabled;
    private volatile boolean closed;

    private Progress(String task, String unit, long total) {
        this.task = task;
        this.unit = unit;
        this.total = total;
        this.enabled = Log.isInfo();
    }

    /**
     * Starts reporting. {@code total} is the expected count, or -1 when unknown; {@code unit}
     * names what is counted ("posts", "windows").
     */
    public static Progress start(String task, String unit, long total) {
        return new Progress(task, unit, total);
    }

    /** Sets the prefix of later progress lines; an empty string removes it. */
    public static void stage(String prefix) {
        stage = prefix == null || prefix.isEmpty() ? "" : prefix + " ";
    }

    public void advance(long n) {
        long now = done.addAndGet(n);
        long nanos = System.nanoTime();
        long last = lastPrintNanos.get();
        long interval = TERMINAL ? TERMINAL_INTERVAL_NANOS : PLAIN_INTERVAL_NANOS;
        if (enabled && nanos - last >= interval && lastPrintNanos.compareAndSet(last, nanos)) {
            print(now, nanos, false);
        }
    }

    public long done() {
        return done.get();
    }

    /** Seconds since the start. */
    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private synchronized void print(long count, long nanos, boolean last) {
        if ((closed && !last) || (last && count == lastPrinted && !TERMINAL)) {
            return;
        }
        lastPrinted = count;
        double seconds = Math.max((nanos - startNanos) / 1e9, 1e-9);
        double rate = count / seconds;
        String line;
        if (total > 0) {
            double share = 100.0 * count / total;
            String eta = rate > 0 && count < total ? formatDuration((total - count) / rate) : "0s";
            line = Messages.get("progress.known", stage + task, count, total, share, unit, rate, eta);
        } else {
            line = Messages.get("progress.unknown", stage + task, count, unit, rate, formatDuration(seconds));
        }
        if (TERMINAL) {
            out.print("\r" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Prints the final state. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (enabled && (TERMINAL || elapsedSeconds() * 1e9 >= PLAIN_INTERVAL_NANOS)) {
            print(done.get(), System.nanoTime(), true);
        }
    }

    /** Formats seconds as "1h 02m", "3m 05s" or "12s". */
    public static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format("%dh %02dm", s / 3600, (s % 3600) / 60);
        }
        if (s >= 60) {
            return String.format("%dm %02ds", s / 60, s % 60);
        }
        return s + "s";
    }

    private static long envSeconds() {
        String value = System.getenv("CHANEMB_PROGRESS_SECONDS");
        try {
            return value == null ? 10 : Math.max(1, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return 10;
        }
    }
}
