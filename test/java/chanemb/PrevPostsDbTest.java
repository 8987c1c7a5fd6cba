package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** find_prev_posts against a real PostgreSQL. */
class PrevPostsDbTest {
    private static final Progress QUIET = Progress.start("test", "posts", -1);

    @Test
    void invisibleTextsAreNotTextPosts() throws Exception {
        try (Database db = TestDatabase.fresh(); SourceFixture f = new SourceFixture(db)) {
            Instant t = Instant.parse("2024-11-01T10:00:00Z");
            f.post(1, 5, t, "Первый пост");
            f.post(2, 5, t.plusSeconds(1), "Текст\u200Bс пробелом");
            f.post(3, 5, t.plusSeconds(2), "\u200B");
            f.post(4, 5, t.plusSeconds(3), "\u2060 \uFEFF");
            f.post(5, 5, t.plusSeconds(4), "   \n\t ");
            f.post(6, 5, t.plusSeconds(5), null);
            f.postWithoutContent(7, 5, t.plusSeconds(6));
            f.post(8, 5, t.plusSeconds(7), "");
            f.post(9, 5, t.plusSeconds(8), "\u2800\u3164");
            // Longer than the 64-character prefix that is tested first.
            f.post(11, 5, t.plusSeconds(9), "\u200B".repeat(100) + "видимый");
            f.post(12, 5, t.plusSeconds(10), " \u2060".repeat(100));
            f.ad(10, 5, t.plusSeconds(11));

            List<Windows.Window> windows = windows(f, Windows.Options.ofSize(3));

            assertThat(windows.get(0).prevPostIds()).containsExactly(1, 2, 11);
        }
    }

    @Test
    void emptyAndShortWindowsAreKept() throws Exception {
        try (Database db = TestDatabase.fresh(); SourceFixture f = new SourceFixture(db)) {
            Instant t = Instant.parse("2024-11-01T10:00:00Z");
            f.post(1, 1, t, "первый пост канала").ad(1, 1, t);
            f.post(11, 2, t, "a").post(12, 2, t.plusSeconds(1), "b").post(13, 2, t.plusSeconds(2), "c");
            f.post(14, 2, t.plusSeconds(3), "реклама").ad(14, 2, t.plusSeconds(3));

            List<Windows.Window> windows = windows(f, Windows.Options.ofSize(10));

            assertThat(windows).extracting(Windows.Window::adPostId).containsExactly(1L, 14L);
            assertThat(windows.get(0).count()).isZero();
            assertThat(windows.get(1).prevPostIds()).containsExactly(11, 12, 13);
        }
    }

    @Test
    void selectionByIdsDatesAgeAndExclusion() throws Exception {
        try (Database db = TestDatabase.fresh(); SourceFixture f = new SourceFixture(db)) {
            Instant day = Instant.parse("2024-11-01T00:00:00Z");
            for (int i = 1; i <= 6; i++) {
                f.post(i, 3, day.plusSeconds(86_400L * i), "пост " + i);
            }
            f.ad(3, 3, day.plusSeconds(86_400L * 3));
            f.ad(6, 3, day.plusSeconds(86_400L * 6));

            Map<Long, List<Long>> byIds = windowsOf(f, new PrevPosts.Selection(List.of(6L), null, null),
                    Windows.Options.ofSize(10));
            Map<Long, List<Long>> byDates = windowsOf(f, new PrevPosts.Selection(List.of(),
                    Instant.parse("2024-11-02T00:00:00Z"), Instant.parse("2024-11-05T00:00:00Z")), Windows.Options.ofSize(10));
            Map<Long, List<Long>> young = windowsOf(f, PrevPosts.Selection.all(), new Windows.Options(10, false, 2 * 86_400_000_000L));
            Map<Long, List<Long>> exclusive = windowsOf(f, PrevPosts.Selection.all(), new Windows.Options(10, true, 0));

            assertThat(byIds).containsOnlyKeys(6L).containsEntry(6L, List.of(1L, 2L, 3L, 4L, 5L));
            assertThat(byDates).containsOnlyKeys(3L).containsEntry(3L, List.of(1L, 2L));
            assertThat(young).containsEntry(6L, List.of(4L, 5L)).containsEntry(3L, List.of(1L, 2L));
            assertThat(exclusive).containsEntry(6L, List.of(1L, 2L, 4L, 5L));
        }
    }

    private static Map<Long, List<Long>> windowsOf(SourceFixture f, PrevPosts.Selection selection, Windows.Options options)
            throws SQLException {
        try (Connection connection = f.db.connect()) {
            PrevPosts.AdPosts ads = PrevPosts.selectAdPosts(connection, f.schema, selection);
            Windows.PostKeys keys = PrevPosts.readTextPostKeys(connection, f.schema, ads, options.maxAgeMicros(), QUIET);
            Map<Long, List<Long>> result = new HashMap<>();
            for (Windows.Window w : Windows.compute(keys, ads.posts(), options)) {
                result.put(w.adPostId(), java.util.Arrays.stream(w.prevPostIds()).boxed().toList());
            }
            return result;
        }
    }

    @Test
    void timeZoneOfTheJvmDoesNotChangeWindows() throws Exception {
        TimeZone original = TimeZone.getDefault();
        String url = TestDatabase.freshUrl();
        try (Database db = TestDatabase.open(url); SourceFixture f = new SourceFixture(db)) {
            // New York: clocks jump from 02:00 to 03:00 on 2024-03-10 (07:00Z) and fall back from
            // 02:00 to 01:00 on 2024-11-03, so 05:30Z and 06:30Z both read 01:30 there.
            f.post(1, 9, Instant.parse("2024-03-10T06:59:59Z"), "до перехода");
            f.post(2, 9, Instant.parse("2024-03-10T07:30:00Z"), "после перехода");
            f.post(3, 9, Instant.parse("2024-11-03T06:30:00Z"), "второе 01:30");
            f.post(4, 9, Instant.parse("2024-11-03T05:30:00Z"), "первое 01:30");
            f.post(5, 9, Instant.parse("2024-10-27T00:30:00Z"), "Москва");
            f.ad(6, 9, Instant.parse("2024-11-03T06:00:00Z"));
            f.ad(7, 9, Instant.parse("2024-11-03T06:45:00Z"));

            Map<String, List<List<Long>>> byZone = new HashMap<>();
            for (String zone : List.of("UTC", "Europe/Moscow", "America/New_York")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                List<List<Long>> ids = new ArrayList<>();
                try (Database sameDb = TestDatabase.open(url)) {
                    try (SourceFixture again = new SourceFixture(sameDb)) {
                        for (Windows.Window w : windows(again, Windows.Options.ofSize(10))) {
                            ids.add(java.util.Arrays.stream(w.prevPostIds()).boxed().toList());
                        }
                    }
                }
                byZone.put(zone, ids);
            }

            assertThat(byZone.get("UTC")).containsExactly(List.of(1L, 2L, 5L, 4L), List.of(1L, 2L, 5L, 4L, 3L));
            assertThat(byZone.get("Europe/Moscow")).isEqualTo(byZone.get("UTC"));
            assertThat(byZone.get("America/New_York")).isEqualTo(byZone.get("UTC"));
        } finally {
            TimeZone.setDefault(original);
        }
    }

    @Test
    void inMemoryWindowsMatchSqlOnRandomData() throws Exception {
        Random random = new Random(7);
        try (Database db = TestDatabase.fresh(); SourceFixture f = new SourceFixture(db)) {
            Instant base = Instant.parse("2024-06-01T00:00:00Z");
            Set<Long> adIds = new HashSet<>();
            long id = 1;
            for (int channel = 1; channel <= 12; channel++) {
                int posts = random.nextInt(40);
                for (int i = 0; i < posts; i++, id++) {
                    // Eight distinct seconds per channel: many equal timestamps.
                    Instant date = base.plusSeconds(random.nextInt(8));
                    String text = switch (random.nextInt(6)) {
                        case 0 -> null;
                        case 1 -> " \u200B ";
                        default -> "пост " + id;
                    };
                    f.post(id, channel, date, text);
                    if (random.nextInt(5) == 0) {
                        f.ad(id, channel, date);
                        adIds.add(id);
                    }
                }
            }
            for (int size : new int[] {1, 3, 10}) {
                for (boolean exclude : new boolean[] {false, true}) {
                    Windows.Options options = new Windows.Options(size, exclude, 0);
                    List<Windows.Window> inMemory = windows(f, options);
                    Map<Long, List<Long>> sql = sqlWindows(f.connection(), size, exclude);
                    assertThat(inMemory).hasSize(adIds.size());
                    for (Windows.Window w : inMemory) {
                        assertThat(java.util.Arrays.stream(w.prevPostIds()).boxed().toList())
                                .as("ad post %d, N=%d, exclude=%s", w.adPostId(), size, exclude)
                                .isEqualTo(sql.get(w.adPostId()));
                    }
                }
            }
        }
    }

    /** The same rule as one SQL query: a LATERAL subquery per ad post, ordered by (date, id). */
    private static Map<Long, List<Long>> sqlWindows(Connection connection, int size, boolean exclude) throws SQLException {
        String sql = "SELECT a.id, coalesce((SELECT array_agg(w.id ORDER BY w.post_date, w.id) FROM ("
                + " SELECT m.id, m.post_date FROM parse.posts_metadata m JOIN parse.posts_content c ON c.id = m.id"
                + " WHERE m.channel_id = a.channel_id AND (m.post_date, m.id) < (a.post_date, a.id)"
                + " AND c.raw_text ~ " + Sql.escapedLiteral(Texts.sqlVisibleCharPattern())
                + (exclude ? " AND m.id NOT IN (SELECT id FROM ml_house.final_basis_with_metrics_v2)" : "")
                + " ORDER BY m.post_date DESC, m.id DESC LIMIT " + size + ") w), '{}') AS ids"
                + " FROM ml_house.final_basis_with_metrics_v2 a";
        Map<Long, List<Long>> windows = new HashMap<>();
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                Long[] ids = (Long[]) rs.getArray(2).getArray();
                windows.put(rs.getLong(1), List.of(ids));
            }
        }
        return windows;
    }

    static List<Windows.Window> windows(SourceFixture f, Windows.Options options) throws SQLException {
        try (Connection connection = f.db.connect()) {
            PrevPosts.AdPosts ads = PrevPosts.selectAdPosts(connection, f.schema, PrevPosts.Selection.all());
            Windows.PostKeys keys = PrevPosts.readTextPostKeys(connection, f.schema, ads, options.maxAgeMicros(), QUIET);
            return Windows.compute(keys, ads.posts(), options);
        }
    }

}
