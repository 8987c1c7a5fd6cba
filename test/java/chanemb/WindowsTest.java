package chanemb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WindowsTest {
    record Post(long channel, long date, long id) {
    }

    @Test
    void albumTimestampsOrderById() {
        // Posts 101 (10:00:00), 102 (10:00:03), 103 and 104 both at 10:00:05; 104 is the ad post.
        long base = micros("2024-11-01T10:00:00Z");
        Windows.PostKeys keys = new Windows.PostKeys();
        keys.add(7, base, 101);
        keys.add(7, base + 3_000_000, 102);
        keys.add(7, base + 5_000_000, 104);
        keys.add(7, base + 5_000_000, 103);

        List<Windows.Window> windows = Windows.compute(keys, List.of(new Windows.AdPost(104, 7, base + 5_000_000)),
                Windows.Options.ofSize(2));

        assertThat(windows.get(0).prevPostIds()).containsExactly(102, 103);
    }

    @Test
    void firstPostAndShortChannelKeepTheirWindows() {
        long base = micros("2024-11-01T00:00:00Z");
        Windows.PostKeys keys = new Windows.PostKeys();
        keys.add(1, base, 10);
        for (int i = 0; i < 3; i++) {
            keys.add(2, base + i, 20 + i);
        }
        List<Windows.AdPost> ads = List.of(new Windows.AdPost(10, 1, base), new Windows.AdPost(99, 2, base + 100),
                new Windows.AdPost(55, 3, base));

        List<Windows.Window> windows = Windows.compute(keys, ads, Windows.Options.ofSize(10));

        assertThat(windows).hasSize(3);
        assertThat(windows.get(0).count()).isZero();
        assertThat(windows.get(1).prevPostIds()).containsExactly(20, 21, 22);
        assertThat(windows.get(2).count()).as("channel without posts").isZero();
    }

    @Test
    void duplicateKeysCountOnce() {
        Windows.PostKeys keys = new Windows.PostKeys();
        keys.add(1, 5, 1);
        keys.add(1, 5, 1);
        keys.add(1, 6, 2);

        List<Windows.Window> windows = Windows.compute(keys, List.of(new Windows.AdPost(3, 1, 7)), Windows.Options.ofSize(5));

        assertThat(windows.get(0).prevPostIds()).containsExactly(1, 2);
    }

    @Test
    void windowSizeBelowOneIsRejected() {
        assertThatThrownBy(() -> Windows.Options.ofSize(0)).isInstanceOf(UserException.class).hasMessageContaining("0");
    }

    @Test
    void randomDataMatchesBruteForce() {
        Random random = new Random(20241204);
        for (int round = 0; round < 300; round++) {
            List<Post> posts = new ArrayList<>();
            Set<Long> usedIds = new HashSet<>();
            int channels = 1 + random.nextInt(8);
            for (int c = 0; c < channels; c++) {
                int count = random.nextInt(25);
                for (int i = 0; i < count; i++) {
                    long id = uniqueId(random, usedIds);
                    // Few distinct dates, so equal timestamps are common.
                    posts.add(new Post(1000 + c, random.nextInt(12) * 1_000_000L, id));
                }
            }
            List<Windows.AdPost> ads = new ArrayList<>();
            for (int a = 0; a < 15; a++) {
                if (!posts.isEmpty() && random.nextBoolean()) {
                    Post p = posts.get(random.nextInt(posts.size()));
                    ads.add(new Windows.AdPost(p.id(), p.channel(), p.date()));
                } else {
                    ads.add(new Windows.AdPost(uniqueId(random, usedIds), 1000 + random.nextInt(channels + 1),
                            random.nextInt(12) * 1_000_000L));
                }
            }
            int size = 1 + random.nextInt(10);
            boolean exclude = random.nextBoolean();
            long maxAge = random.nextBoolean() ? 0 : (1 + random.nextInt(6)) * 1_000_000L;
            Windows.Options options = new Windows.Options(size, exclude, maxAge);

            Windows.PostKeys keys = new Windows.PostKeys();
            List<Post> shuffled = new ArrayList<>(posts);
            java.util.Collections.shuffle(shuffled, random);
            shuffled.forEach(p -> keys.add(p.channel(), p.date(), p.id()));
            List<Windows.Window> actual = Windows.compute(keys, ads, options);

            for (int a = 0; a < ads.size(); a++) {
                long[] expected = bruteForce(posts, ads, ads.get(a), options);
                assertThat(actual.get(a).prevPostIds()).as("round %d, ad %s, %s", round, ads.get(a), options)
                        .containsExactly(expected);
            }
        }
    }

    /** The window rule written as plainly as possible: filter, sort by (date, id), take the last N. */
    static long[] bruteForce(List<Post> posts, List<Windows.AdPost> ads, Windows.AdPost ad, Windows.Options options) {
        Set<Long> adIds = new HashSet<>();
        ads.forEach(a -> adIds.add(a.id()));
        long[] all = posts.stream()
                .filter(p -> p.channel() == ad.channelId())
                .filter(p -> p.date() < ad.dateMicros() || (p.date() == ad.dateMicros() && p.id() < ad.id()))
                .filter(p -> !options.excludeAdPosts() || !adIds.contains(p.id()))
                .filter(p -> options.maxAgeMicros() == 0 || p.date() >= ad.dateMicros() - options.maxAgeMicros())
                .sorted(Comparator.comparingLong(Post::date).thenComparingLong(Post::id))
                .mapToLong(Post::id)
                .toArray();
        return java.util.Arrays.copyOfRange(all, Math.max(0, all.length - options.size()), all.length);
    }

    private static long uniqueId(Random random, Set<Long> used) {
        long id;
        do {
            id = 1 + random.nextInt(100_000);
        } while (!used.add(id));
        return id;
    }

    static long micros(String instant) {
        return PrevPosts.toMicros(Instant.parse(instant));
    }
}
