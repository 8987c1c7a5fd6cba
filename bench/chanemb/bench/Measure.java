package chanemb.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wall time and peak heap of a benchmark phase. The heap is sampled every 20 ms on a daemon
 * thread, so a peak shorter than that can be missed; the figure is the largest sampled
 * {@code used} heap, which includes garbage not yet collected.
 */
public final class Measure implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final long start = System.nanoTime();
    private final Thread sampler;
    private volatile boolean running = true;
    private long stop;

    private Measure() {
        System.gc();
        sampler = new Thread(() -> {
            while (running) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    public static Measure start() {
        return new Measure();
    }

    @Override
    public void close() {
        stop = System.nanoTime();
        peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
        running = false;
        sampler.interrupt();
    }

    public double seconds() {
        return ((stop == 0 ? System.nanoTime() : stop) - start) / 1e9;
    }

    public double peakHeapGb() {
        return peak.get() / 1e9;
    }
}
