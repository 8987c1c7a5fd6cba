package chanemb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The window of an ad post: the last N text posts of its channel strictly before it.
 *
 * <p>Order rule, used everywhere (SQL, this class and the tests): posts are ordered by
 * (post date, post id), both ascending, with the date taken as an instant. "Strictly before"
 * means (date, id) &lt; (ad post date, ad post id). Two posts with the same timestamp, as in a
 * Telegram album, are therefore ordered by id, and the ad post itself is never in its window.
 *
 * <p>The computation holds only keys in primitive arrays (20 bytes per text post) and never
 * text bodies: 21.6M text posts take about 430 MB while loading and 350 MB once sorted.
 */
public final class Windows {
    private Windows() {
    }

    /** Options of the window computation. */
    public record Options(int size, boolean excludeAdPosts, long maxAgeMicros) {
        public Options {
            if (size < 1) {
                throw new UserException("windows.invalid-size", size);
            }
            if (maxAgeMicros < 0) {
                throw new IllegalArgumentException("maxAgeMicros < 0: " + maxAgeMicros);
            }
        }

        public static Options ofSize(int size) {
            return new Options(size, false, 0);
        }
    }

    /** One ad post: its id, channel and date in microseconds since the epoch (UTC). */
    public record AdPost(long id, long channelId, long dateMicros) {
    }

    /** The window of one ad post; {@code prevPostIds} run oldest first and may be empty. */
    public record Window(long adPostId, long channelId, long adPostDateMicros, long[] prevPostIds) {
        public int count() {
            return prevPostIds.length;
        }
    }

    /**
     * Keys of text posts, filled row by row while reading the database. Channel ids are mapped
     * to dense indices on the way in.
     */
    public static final class PostKeys {
        private final LongIndex channels = new LongIndex();
        private int[] channel = new int[1 << 16];
        private long[] date = new long[1 << 16];
        private long[] id = new long[1 << 16];
        private int size;

        public void add(long channelId, long dateMicros, long postId) {
            if (size == id.length) {
                int capacity = Math.addExact(size, size >> 1);
                channel = Arrays.copyOf(channel, capacity);
                date = Arrays.copyOf(date, capacity);
                id = Arrays.copyOf(id, capacity);
            }
            channel[size] = channels.indexOf(channelId);
            date[size] = dateMicros;
            id[size] = postId;
            size++;
        }

        public int size() {
            return size;
        }

        public int channelCount() {
            return channels.size();
        }

        /** Channel id of every loaded row, in load order; a copy, for comparisons with other engines. */
        public long[] channelIds() {
            long[] byIndex = channels.keysByIndex();
            long[] ids = new long[size];
            for (int i = 0; i < size; i++) {
                ids[i] = byIndex[channel[i]];
            }
            return ids;
        }

        /** Date of every loaded row in microseconds, in load order; a copy. */
        public long[] dates() {
            return Arrays.copyOf(date, size);
        }

        /** Post id of every loaded row, in load order; a copy. */
        public long[] ids() {
            return Arrays.copyOf(id, size);
        }
    }

    /**
     * Text posts grouped by channel and sorted by (date, id), duplicates removed. Build once,
     * then look up any number of ad posts.
     */
    public static final class SortedPosts {
        private final LongIndex channels;
        private final int[] start;
        private final int[] end;
        private final long[] date;
        private final long[] id;

        private SortedPosts(LongIndex channels, int[] start, int[] end, long[] date, long[] id) {
            this.channels = channels;
            this.start = start;
            this.end = end;
            this.date = date;
            this.id = id;
        }

        /** Sorts the keys; the {@code PostKeys} must not be used afterwards. */
        public static SortedPosts of(PostKeys keys) {
            int channelCount = keys.channels.size();
            int[] start = new int[channelCount + 1];
            for (int i = 0; i < keys.size; i++) {
                start[keys.channel[i] + 1]++;
            }
            for (int c = 0; c < channelCount; c++) {
                start[c + 1] += start[c];
            }
            // Counting sort by channel into fresh arrays, then release the loading arrays.
            int[] next = Arrays.copyOf(start, channelCount);
            long[] date = new long[keys.size];
            long[] id = new long[keys.size];
            for (int i = 0; i < keys.size; i++) {
                int slot = next[keys.channel[i]]++;
                date[slot] = keys.date[i];
                id[slot] = keys.id[i];
            }
            keys.channel = null;
            keys.date = null;
            keys.id = null;

            int[] end = new int[channelCount];
            IntStream.range(0, channelCount).parallel().forEach(c -> {
                // Rows often arrive in index order already; a linear check skips the sort then.
                if (!isSorted(date, id, start[c], start[c + 1])) {
                    sort(date, id, start[c], start[c + 1]);
                }
                end[c] = removeDuplicates(date, id, start[c], start[c + 1]);
            });
            return new SortedPosts(keys.channels, Arrays.copyOf(start, channelCount), end, date, id);
        }

        /** Number of distinct text posts. */
        public long size() {
            long total = 0;
            for (int c = 0; c < end.length; c++) {
                total += end[c] - start[c];
            }
            return total;
        }

        /** Computes the window of one ad post. */
        public Window window(AdPost ad, Options options, long[] sortedAdPostIds) {
            int c = channels.find(ad.channelId());
            if (c < 0) {
                return new Window(ad.id(), ad.channelId(), ad.dateMicros(), new long[0]);
            }
            int lo = start[c];
            int position = firstNotBefore(date, id, lo, end[c], ad.dateMicros(), ad.id());
            long oldest = options.maxAgeMicros() > 0 ? ad.dateMicros() - options.maxAgeMicros() : Long.MIN_VALUE;
            long[] picked = new long[options.size()];
            int count = 0;
            for (int i = position - 1; i >= lo && count < picked.length; i--) {
                if (date[i] < oldest) {
                    break;
                }
                if (options.excludeAdPosts() && Arrays.binarySearch(sortedAdPostIds, id[i]) >= 0) {
                    continue;
                }
                picked[count++] = id[i];
            }
            long[] prev = new long[count];
            for (int k = 0; k < count; k++) {
                prev[k] = picked[count - 1 - k];
            }
            return new Window(ad.id(), ad.channelId(), ad.dateMicros(), prev);
        }
    }

    /** Computes the windows of all ad posts, in the order given. */
    public static List<Window> compute(PostKeys posts, List<AdPost> ads, Options options) {
        SortedPosts sorted = SortedPosts.of(posts);
        long[] adIds = ads.stream().mapToLong(AdPost::id).sorted().toArray();
        List<Window> windows = new ArrayList<>(ads.size());
        for (AdPost ad : ads) {
            windows.add(sorted.window(ad, options, adIds));
        }
        return windows;
    }

    /** Index of the first post in [lo, hi) not before (date, id); hi when all are before. */
    static int firstNotBefore(long[] date, long[] id, int lo, int hi, long d, long i) {
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (less(date[mid], id[mid], d, i)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static boolean less(long d1, long i1, long d2, long i2) {
        return d1 < d2 || (d1 == d2 && i1 < i2);
    }

    private static int removeDuplicates(long[] date, long[] id, int lo, int hi) {
        if (hi - lo < 2) {
            return hi;
        }
        int write = lo + 1;
        for (int read = lo + 1; read < hi; read++) {
            if (id[read] != id[write - 1] || date[read] != date[write - 1]) {
                date[write] = date[read];
                id[write] = id[read];
                write++;
            }
        }
        return write;
    }

    /** Sorts [lo, hi) of two parallel arrays by (date, id): quicksort with insertion sort for short runs. */
    static void sort(long[] date, long[] id, int lo, int hi) {
        while (hi - lo > 24) {
            int mid = (lo + hi) >>> 1;
            medianToMid(date, id, lo, mid, hi - 1);
            long pd = date[mid];
            long pi = id[mid];
            int i = lo;
            int j = hi - 1;
            while (i <= j) {
                while (less(date[i], id[i], pd, pi)) {
                    i++;
                }
                while (less(pd, pi, date[j], id[j])) {
                    j--;
                }
                if (i <= j) {
                    swap(date, id, i++, j--);
                }
            }
            // Recurse into the smaller side to bound the stack depth.
            if (j - lo < hi - i) {
                sort(date, id, lo, j + 1);
                lo = i;
            } else {
                sort(date, id, i, hi);
                hi = j + 1;
            }
        }
        for (int i = lo + 1; i < hi; i++) {
            for (int k = i; k > lo && less(date[k], id[k], date[k - 1], id[k - 1]); k--) {
                swap(date, id, k, k - 1);
            }
        }
    }

    private static boolean isSorted(long[] date, long[] id, int lo, int hi) {
        for (int i = lo + 1; i < hi; i++) {
            if (less(date[i], id[i], date[i - 1], id[i - 1])) {
                return false;
            }
        }
        return true;
    }

    private static void medianToMid(long[] date, long[] id, int a, int b, int c) {
        if (less(date[b], id[b], date[a], id[a])) {
            swap(date, id, a, b);
        }
        if (less(date[c], id[c], date[b], id[b])) {
            swap(date, id, b, c);
            if (less(date[b], id[b], date[a], id[a])) {
                swap(date, id, a, b);
            }
        }
    }

    private static void swap(long[] date, long[] id, int a, int b) {
        long d = date[a];
        date[a] = date[b];
        date[b] = d;
        long i = id[a];
        id[a] = id[b];
        id[b] = i;
    }

    /** Open-addressing map from a long key to a dense int index (0, 1, 2, ...). */
    static final class LongIndex {
        private long[] keys = new long[1024];
        private int[] values = new int[1024];
        private boolean[] used = new boolean[1024];
        private int size;

        int indexOf(long key) {
            int slot = slot(key);
            if (used[slot]) {
                return values[slot];
            }
            if ((size + 1) * 2 > keys.length) {
                grow();
                slot = slot(key);
            }
            used[slot] = true;
            keys[slot] = key;
            values[slot] = size;
            return size++;
        }

        int find(long key) {
            int slot = slot(key);
            return used[slot] ? values[slot] : -1;
        }

        int size() {
            return size;
        }

        /** The keys, indexed by the dense index they were given. */
        long[] keysByIndex() {
            long[] byIndex = new long[size];
            for (int i = 0; i < keys.length; i++) {
                if (used[i]) {
                    byIndex[values[i]] = keys[i];
                }
            }
            return byIndex;
        }

        private int slot(long key) {
            int mask = keys.length - 1;
            int slot = (int) (mix(key) & mask);
            while (used[slot] && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            return slot;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            boolean[] oldUsed = used;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            used = new boolean[oldKeys.length * 2];
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldUsed[i]) {
                    int slot = slot(oldKeys[i]);
                    used[slot] = true;
                    keys[slot] = oldKeys[i];
                    values[slot] = oldValues[i];
                }
            }
        }

        private static long mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return h ^ (h >>> 32);
        }
    }
}
