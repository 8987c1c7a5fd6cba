package chanemb;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyInputStream;

/**
 * Database side of the find_prev_posts step: reads the ad posts and the keys of the text posts
 * they need, and writes the windows. The window rule itself is in {@link Windows}.
 */
public final class PrevPosts {
    /** Columns of the windows output, in order. */
    public static final String COLUMNS =
            "ad_post_id BIGINT, channel_id BIGINT, ad_post_date TIMESTAMPTZ, prev_post_ids BIGINT[], prev_count INTEGER";

    /** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    private static final byte[] COPY_SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    private PrevPosts() {
    }

    /** Which ad posts to compute windows for: all, a list of ids, a date range, or both. */
    public record Selection(List<Long> ids, Instant from, Instant to) {
        public static Selection all() {
            return new Selection(List.of(), null, null);
        }

        public Map<String, Object> describe() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("ad_post_ids", ids.size());
            d.put("from", from == null ? null : from.toString());
            d.put("to", to == null ? null : to.toString());
            return d;
        }
    }

    /**
     * Ad posts read from the database, how many were skipped for a missing channel or date, and
     * SQL yielding (channel_id, first_ad, last_ad) per channel of the selected ad posts.
     */
    public record AdPosts(List<Windows.AdPost> posts, long skipped, String channelRangesSql) {
    }

    /**
     * Reads the selected ad posts, ordered by id. A selection by id list goes through the
     * session's temporary table {@code selected_ads}, because the COPY that follows cannot take
     * parameters; other selections are written into the channel ranges as timestamp literals
     * made from instants, so no temporary table keeps PostgreSQL from planning the key query in
     * parallel.
     */
    public static AdPosts selectAdPosts(Connection connection, SourceSchema s, Selection selection) throws SQLException {
        String columns = s.adId() + "::int8 AS id, " + s.adChannelId() + "::int8 AS channel_id, " + s.adDate()
                + "::timestamptz AS post_date";
        StringBuilder where = new StringBuilder(" WHERE true");
        List<Object> params = new ArrayList<>();
        if (!selection.ids().isEmpty()) {
            where.append(" AND ").append(s.adId()).append(" = ANY(?)");
            params.add(connection.createArrayOf("bigint", selection.ids().toArray()));
        }
        StringBuilder literalRange = new StringBuilder();
        if (selection.from() != null) {
            where.append(" AND ").append(s.adDate()).append(" >= ?");
            params.add(OffsetDateTime.ofInstant(selection.from(), ZoneOffset.UTC));
            literalRange.append(" AND ").append(s.adDate()).append(" >= '").append(selection.from()).append("'::timestamptz");
        }
        if (selection.to() != null) {
            where.append(" AND ").append(s.adDate()).append(" < ?");
            params.add(OffsetDateTime.ofInstant(selection.to(), ZoneOffset.UTC));
            literalRange.append(" AND ").append(s.adDate()).append(" < '").append(selection.to()).append("'::timestamptz");
        }
        String rangesSql;
        String readSql;
        if (selection.ids().isEmpty()) {
            readSql = "SELECT " + columns + " FROM " + s.ads().sql() + where + " ORDER BY 1";
            rangesSql = "SELECT " + s.adChannelId() + "::int8 AS channel_id, min(" + s.adDate() + "::timestamptz) AS first_ad,"
                    + " max(" + s.adDate() + "::timestamptz) AS last_ad FROM " + s.ads().sql() + " WHERE "
                    + s.adChannelId() + " IS NOT NULL AND " + s.adDate() + " IS NOT NULL" + literalRange + " GROUP BY 1";
        } else {
            try (PreparedStatement create = connection.prepareStatement("CREATE TEMP TABLE selected_ads AS SELECT "
                    + columns + " FROM " + s.ads().sql() + where)) {
                bind(create, params);
                create.execute();
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("ANALYZE selected_ads");
            }
            params.clear();
            readSql = "SELECT id, channel_id, post_date FROM selected_ads ORDER BY id";
            rangesSql = "SELECT channel_id, min(post_date) AS first_ad, max(post_date) AS last_ad FROM selected_ads"
                    + " WHERE channel_id IS NOT NULL AND post_date IS NOT NULL GROUP BY channel_id";
        }
        List<Windows.AdPost> ads = new ArrayList<>();
        long skipped = 0;
        try (PreparedStatement read = connection.prepareStatement(readSql)) {
            bind(read, params);
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    long channel = rs.getLong(2);
                    boolean channelMissing = rs.wasNull();
                    OffsetDateTime date = rs.getObject(3, OffsetDateTime.class);
                    if (channelMissing || date == null) {
                        skipped++;
                        continue;
                    }
                    ads.add(new Windows.AdPost(id, channel, toMicros(date.toInstant())));
                }
            }
        }
        return new AdPosts(ads, skipped, rangesSql);
    }

    private static void bind(PreparedStatement statement, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            statement.setObject(i + 1, params.get(i));
        }
    }

    /**
     * Streams the keys (channel, date, id) of the text posts that windows of the selected ad
     * posts can contain: channels with a selected ad post, dates up to that channel's last one
     * (and, with a maximum age, not older than its first one minus that age). Text bodies are
     * tested in PostgreSQL and never sent.
     */
    public static Windows.PostKeys readTextPostKeys(Connection connection, SourceSchema s, AdPosts ads,
                                                    long maxAgeMicros, Progress progress) throws SQLException {
        String since = maxAgeMicros > 0
                ? " AND m." + s.postDate() + " >= a.first_ad - make_interval(secs => " + (maxAgeMicros / 1_000_000L) + ")"
                : "";
        String query = "SELECT m." + s.postChannelId() + "::int8, m." + s.postDate() + "::timestamptz, m." + s.postId()
                + "::int8 FROM " + s.posts().sql() + " m"
                + " JOIN (" + ads.channelRangesSql() + ") a ON a.channel_id = m." + s.postChannelId()
                + " JOIN " + s.content().sql() + " c ON c." + s.contentId() + " = m." + s.postId()
                + " WHERE m." + s.postDate() + " <= a.last_ad" + since
                + " AND " + textPostCondition("c." + s.contentText());
        Log.debug("Text post keys query: {}", query);
        Windows.PostKeys keys = new Windows.PostKeys();
        try (Statement settings = connection.createStatement()) {
            // The content side of the join is hashed: 21.6M ids need about 1 GB at the real scale.
            settings.execute("SET work_mem = '1GB'");
            // Without these the planner runs the join on one core: the default cost of passing
            // each of millions of rows from parallel workers outweighs the parallel scan, and JIT
            // compilation gains nothing on a scan dominated by the text filter. Measured on the
            // synthetic database at the real scale (2 cores): 235 s serial, 99 s parallel.
            settings.execute("SET parallel_tuple_cost = 0.001");
            settings.execute("SET jit = off");
        }
        String copy = "COPY (" + query + ") TO STDOUT (FORMAT binary)";
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new PGCopyInputStream(connection.unwrap(PGConnection.class), copy), 1 << 20))) {
            readCopyHeader(in);
            long rows = 0;
            while (true) {
                short fields = in.readShort();
                if (fields == -1) {
                    break;
                }
                if (fields != 3) {
                    throw new IllegalStateException("COPY row with " + fields + " fields, expected 3");
                }
                long channel = readInt8(in);
                long dateMicros = readInt8(in) + PG_EPOCH_MICROS;
                long id = readInt8(in);
                keys.add(channel, dateMicros, id);
                if (++rows % 100_000 == 0) {
                    progress.advance(100_000);
                }
            }
            progress.advance(rows % 100_000);
        } catch (IOException e) {
            throw new UncheckedIOException("Reading text post keys failed", e);
        }
        return keys;
    }

    /**
     * SQL condition "the text has a visible character". The regular expression runs on the first
     * 64 characters first: PostgreSQL converts the whole string before matching, and reads only a
     * slice of a long (compressed or TOASTed) text for substr. Only a text whose first 64
     * characters are all blank is matched whole, so the result is exactly the full match.
     */
    public static String textPostCondition(String textColumn) {
        String pattern = Sql.escapedLiteral(Texts.sqlVisibleCharPattern());
        return "(substr(" + textColumn + ", 1, 64) ~ " + pattern + " OR " + textColumn + " ~ " + pattern + ")";
    }

    private static void readCopyHeader(DataInputStream in) throws IOException {
        byte[] signature = new byte[COPY_SIGNATURE.length];
        in.readFully(signature);
        if (!java.util.Arrays.equals(signature, COPY_SIGNATURE)) {
            throw new IOException("Not a PostgreSQL binary COPY stream");
        }
        in.readInt(); // flags
        int extension = in.readInt();
        in.skipNBytes(extension);
    }

    private static long readInt8(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length != 8) {
            throw new EOFException("Expected an 8-byte value, got length " + length);
        }
        return in.readLong();
    }

    /** Sets the zone in which the database's timestamp-without-time-zone values are read. */
    public static void useSourceZone(Connection connection, Config config) throws SQLException {
        String zone = config.get("source.timestamp-zone");
        try {
            ZoneId.of(zone);
        } catch (RuntimeException e) {
            throw new UserException("config.invalid-zone", zone);
        }
        try (PreparedStatement set = connection.prepareStatement("SELECT set_config('TimeZone', ?, false)")) {
            set.setString(1, zone);
            set.execute();
        }
    }

    /** Writes the windows as one dataset, replacing what was there. */
    public static Dataset.Manifest write(Path dir, List<Windows.Window> windows, Map<String, Object> params,
                                         Map<String, Object> counts) {
        Dataset.clear(dir);
        try (PartWriter out = new PartWriter(dir, COLUMNS, 0, 1_000_000)) {
            for (Windows.Window window : windows) {
                var row = out.row();
                row.append(window.adPostId());
                row.append(window.channelId());
                row.append(OffsetDateTime.ofInstant(fromMicros(window.adPostDateMicros()), ZoneOffset.UTC));
                row.append(window.prevPostIds());
                row.append(window.count());
                out.endRow();
            }
            List<Dataset.Part> parts = out.finish();
            return Dataset.complete(dir, "find_prev_posts", parts, params, Map.of(), counts);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write windows: " + e.getMessage(), e);
        }
    }

    public static long toMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    public static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
