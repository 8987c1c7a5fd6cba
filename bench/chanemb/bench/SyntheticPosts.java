package chanemb.bench;

import chanemb.Database;
import chanemb.PgCopy;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.Sql;
import chanemb.Texts;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * A synthetic Telegram database shaped like the team's, for benchmarks and tests.
 *
 * <p>The model, with the real figures it reproduces:
 * <ul>
 *   <li>36.7M posts in 27k channels, 177k ad posts; channel sizes lognormal (sigma 1.2), so a
 *       few channels have tens of thousands of posts and many have a few dozen.</li>
 *   <li>Posts spread over a year in sessions of a few posts minutes apart; 5% of events are
 *       albums of 2 to 6 posts in the same second, of which only the first has text.</li>
 *   <li>41% of posts have no text: NULL, '' or invisible characters only (zero-width space,
 *       word joiner, Braille blank), so 21.6M posts have text.</li>
 *   <li>Text lengths follow a quantile curve fitted to the real distribution: mean about 580
 *       characters, median 372, 75th percentile 780, maximum 4,096. Texts are pseudo-Russian
 *       Cyrillic words with a topic vocabulary per channel, punctuation, line breaks, emoji
 *       outside the BMP, links and hashtags.</li>
 *   <li>Ad posts are text posts of 3 in 4 channels with at least 30 posts, in proportion to
 *       channel size; their text ends with an ad-registry marker (erid).</li>
 * </ul>
 */
public final class SyntheticPosts {
    /** Real scale of the team's database. */
    public static final long REAL_POSTS = 36_700_000L;
    public static final long REAL_TEXT_POSTS = 21_600_000L;
    public static final long REAL_ADS = 177_000L;
    public static final int REAL_CHANNELS = 27_000;

    /** Knots of the text-length quantile function: (cumulative share, characters), interpolated in log space. */
    private static final double[][] LENGTH_KNOTS = {
        {0, 1}, {0.10, 40}, {0.25, 120}, {0.50, 372}, {0.75, 780}, {0.90, 1300}, {0.97, 2400}, {0.995, 3800}, {1, 4096},
    };

    private static final double ALBUM_SHARE = 0.05;
    private static final int ALBUM_MIN = 2;
    private static final int ALBUM_MAX = 6;
    private static final String[] EMOJI = {"🔥", "💵", "🚀", "👉", "😂", "❤️", "📈", "⚡️", "🎉", "📌", "✅", "🤔"};
    private static final String[] INVISIBLE_ONLY = {"\u200B", " \u2060 ", "\u2800", "\uFEFF", "\u200B\u200C", "\u3164"};

    private SyntheticPosts() {
    }

    /** What to generate. */
    /**
     * What to generate. With {@code plantTarget}, the ad-post table gets a column {@code target}:
     * 0.5 + targetTopicWeight x (the channel topic's effect, standard normal) + targetNoise x
     * (standard normal noise), clipped to [0, 1].
     */
    public record Plan(long posts, long textPosts, long ads, int channels, int days, long seed, int topics,
                       boolean plantTarget, double targetTopicWeight, double targetNoise, boolean unlogged) {
        public static final double DEFAULT_TARGET_TOPIC_WEIGHT = 0.15;
        public static final double DEFAULT_TARGET_NOISE = 0.08;

        public static Plan realScale(double scale, long seed, int topics, boolean plantTarget, boolean unlogged) {
            return realScale(scale, seed, topics, plantTarget, DEFAULT_TARGET_TOPIC_WEIGHT, DEFAULT_TARGET_NOISE, unlogged);
        }

        public static Plan realScale(double scale, long seed, int topics, boolean plantTarget, double targetTopicWeight,
                                     double targetNoise, boolean unlogged) {
            if (!(scale > 0 && scale <= 10)) {
                throw new IllegalArgumentException("scale must be in (0, 10]: " + scale);
            }
            if (!(targetTopicWeight >= 0) || !(targetNoise >= 0)) {
                throw new IllegalArgumentException("target topic weight and noise must be 0 or more: " + targetTopicWeight
                        + ", " + targetNoise);
            }
            return new Plan(Math.round(REAL_POSTS * scale), Math.round(REAL_TEXT_POSTS * scale),
                    Math.max(1, Math.round(REAL_ADS * scale)), (int) Math.max(1, Math.round(REAL_CHANNELS * scale)), 365, seed,
                    topics, plantTarget, targetTopicWeight, targetNoise, unlogged);
        }

        /** Estimate: 1.25 KB per text post (UTF-8 Cyrillic, row overhead) plus 0.15 KB per post of metadata and indexes. */
        public double estimatedDiskGb() {
            return (textPosts * 1.25e3 + posts * 0.15e3) / 1e9;
        }
    }

    /** Figures of a generated database. */
    public record Stats(long posts, long textPosts, long nullTexts, long emptyTexts, long invisibleTexts, long ads,
                        int channels, int largestChannel, double meanChars, long medianChars, long p75Chars, long maxChars,
                        long diskBytes, Map<String, Double> phaseSeconds, double seconds) {
        public String toMarkdown() {
            StringBuilder md = new StringBuilder("| figure | value |\n|---|---|\n");
            row(md, "posts", String.format("%,d", posts));
            row(md, "text posts", String.format("%,d (%.1f%%)", textPosts, 100.0 * textPosts / posts));
            row(md, "without text: NULL / '' / invisible only", String.format("%,d / %,d / %,d", nullTexts, emptyTexts,
                    invisibleTexts));
            row(md, "ad posts", String.format("%,d", ads));
            row(md, "channels (largest)", String.format("%,d (%,d posts)", channels, largestChannel));
            row(md, "text length mean / median / p75 / max (characters)", String.format("%.0f / %d / %d / %d", meanChars,
                    medianChars, p75Chars, maxChars));
            row(md, "disk (tables and indexes)", String.format("%.1f GB", diskBytes / 1e9));
            phaseSeconds.forEach((phase, s) -> row(md, phase, Progress.formatDuration(s)));
            row(md, "total", Progress.formatDuration(seconds));
            return md.toString();
        }

        private static void row(StringBuilder md, String name, String value) {
            md.append("| ").append(name).append(" | ").append(value).append(" |\n");
        }
    }

    /** Drops and recreates the source tables, loads them and builds their indexes. */
    public static Stats generate(Database db, SourceSchema s, Plan plan) {
        long start = System.nanoTime();
        Map<String, Double> phases = new LinkedHashMap<>();
        try (Connection ddl = db.connect(); Statement statement = ddl.createStatement()) {
            createTables(statement, s, plan);

            long t = System.nanoTime();
            Generator generator = new Generator(plan);
            Counts counts = generator.load(db, s);
            phases.put("load (COPY)", (System.nanoTime() - t) / 1e9);

            t = System.nanoTime();
            buildIndexes(statement, s);
            phases.put("indexes and ANALYZE", (System.nanoTime() - t) / 1e9);

            long disk = 0;
            for (Sql.Table table : List.of(s.posts(), s.content(), s.channels(), s.ads())) {
                try (ResultSet rs = statement.executeQuery("SELECT pg_total_relation_size('" + table.sql().replace("'", "''")
                        + "')")) {
                    rs.next();
                    disk += rs.getLong(1);
                }
            }
            long[] lengths = Arrays.copyOf(counts.lengthSample, counts.lengthSampleSize);
            Arrays.sort(lengths);
            return new Stats(counts.posts, counts.textPosts, counts.nullTexts, counts.emptyTexts, counts.invisibleTexts,
                    counts.ads, plan.channels(), counts.largestChannel, counts.totalChars / (double) Math.max(1, counts.textPosts),
                    percentile(lengths, 0.5), percentile(lengths, 0.75), counts.maxChars, disk, phases,
                    (System.nanoTime() - start) / 1e9);
        } catch (SQLException e) {
            throw new IllegalStateException("Generating the database failed: " + e.getMessage(), e);
        }
    }

    private static long percentile(long[] sorted, double share) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
    }

    private static void createTables(Statement statement, SourceSchema s, Plan plan) throws SQLException {
        String unlogged = plan.unlogged() ? "UNLOGGED " : "";
        for (Sql.Table table : List.of(s.posts(), s.content(), s.channels(), s.ads())) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.quote(table.schema()));
            statement.execute("DROP TABLE IF EXISTS " + table.sql() + " CASCADE");
        }
        statement.execute("CREATE " + unlogged + "TABLE " + s.channels().sql() + " (" + s.channelId() + " bigint, "
                + s.channelName() + " text, " + s.channelTitle() + " text, " + s.channelAbout() + " text, "
                + s.channelParticipants() + " integer, " + s.channelLastPinned() + " bigint, topic text)");
        statement.execute("CREATE " + unlogged + "TABLE " + s.posts().sql() + " (" + s.postId() + " bigint, "
                + s.postChannelId() + " bigint, " + s.postMessageId() + " bigint, " + s.postGroupId() + " bigint, "
                + s.postDate() + " timestamptz, " + s.postLabel() + " text)");
        statement.execute("CREATE " + unlogged + "TABLE " + s.content().sql() + " (" + s.contentId() + " bigint, "
                + s.contentText() + " text COMPRESSION lz4)");
        statement.execute("CREATE " + unlogged + "TABLE " + s.ads().sql() + " (" + s.adId() + " bigint, " + s.adChannelId()
                + " bigint, " + s.adDate() + " timestamptz" + (plan.plantTarget() ? ", target double precision" : "") + ")");
    }

    /** The same keys and indexes the importer creates, built after the load as bulk loads should be. */
    private static void buildIndexes(Statement statement, SourceSchema s) throws SQLException {
        statement.execute("SET maintenance_work_mem = '1GB'");
        statement.execute("ALTER TABLE " + s.channels().sql() + " ADD PRIMARY KEY (" + s.channelId() + ")");
        statement.execute("ALTER TABLE " + s.posts().sql() + " ADD PRIMARY KEY (" + s.postId() + ")");
        statement.execute("ALTER TABLE " + s.posts().sql() + " ADD UNIQUE (" + s.postChannelId() + ", " + s.postMessageId()
                + ")");
        statement.execute("CREATE INDEX ON " + s.posts().sql() + " (" + s.postChannelId() + ", " + s.postDate() + ", "
                + s.postId() + ")");
        statement.execute("ALTER TABLE " + s.content().sql() + " ADD PRIMARY KEY (" + s.contentId() + ")");
        statement.execute("ALTER TABLE " + s.ads().sql() + " ADD PRIMARY KEY (" + s.adId() + ")");
        for (Sql.Table table : List.of(s.posts(), s.content(), s.channels(), s.ads())) {
            statement.execute("ANALYZE " + table.sql());
        }
    }

    /** Running counts of the load. */
    static final class Counts {
        long posts;
        long textPosts;
        long nullTexts;
        long emptyTexts;
        long invisibleTexts;
        long ads;
        long totalChars;
        long maxChars;
        int largestChannel;
        final long[] lengthSample = new long[200_000];
        int lengthSampleSize;
        long lengthSeen;
    }

    /** Generates channel after channel, streaming rows into three COPY commands. */
    static final class Generator {
        private final Plan plan;
        private final SplittableRandom random;
        private final Words words;
        private final long yearStart = LocalDate.of(2024, 1, 1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        private final String[] dayPrefix;
        private final double[] topicEffect;

        Generator(Plan plan) {
            this.plan = plan;
            this.random = new SplittableRandom(plan.seed());
            this.words = new Words(new SplittableRandom(plan.seed() + 1), plan.topics());
            this.dayPrefix = new String[plan.days() + 2];
            for (int d = 0; d < dayPrefix.length; d++) {
                dayPrefix[d] = LocalDate.of(2024, 1, 1).plusDays(d) + " ";
            }
            this.topicEffect = new double[plan.topics()];
            for (int t = 0; t < topicEffect.length; t++) {
                topicEffect[t] = gaussian(random);
            }
        }

        Counts load(Database db, SourceSchema s) throws SQLException {
            Counts counts = new Counts();
            int[] sizes = channelSizes();
            int[] adsPerChannel = adAllocation(sizes);
            long[] channelIds = distinctIds(plan.channels(), 1_000_000_000L, 8_999_999_999L);
            // Albums make some posts textless; the text chance of other posts makes up for it.
            double postsPerEvent = ALBUM_SHARE * (ALBUM_MIN + ALBUM_MAX) / 2.0 + (1 - ALBUM_SHARE);
            double albumTailShare = ALBUM_SHARE * ((ALBUM_MIN + ALBUM_MAX) / 2.0 - 1) / postsPerEvent;
            double textChance = Math.min(1.0, plan.textPosts() / (double) plan.posts() / (1 - albumTailShare));

            try (Connection postsConnection = db.connect(); Connection contentConnection = db.connect();
                 Connection otherConnection = db.connect();
                 Writer postsOut = copyWriter(postsConnection, "COPY " + s.posts().sql() + " FROM STDIN");
                 Writer contentOut = copyWriter(contentConnection, "COPY " + s.content().sql() + " FROM STDIN");
                 Progress progress = Progress.start("generate_db", "posts", plan.posts())) {
                PgCopy posts = new PgCopy(postsOut);
                PgCopy content = new PgCopy(contentOut);
                StringBuilder channelRows = new StringBuilder();
                StringBuilder adRows = new StringBuilder();
                long nextId = 1;
                for (int c = 0; c < plan.channels(); c++) {
                    int topic = random.nextInt(plan.topics());
                    Channel channel = generateChannel(sizes[c], topic, textChance);
                    int[] ads = pickAds(channel, adsPerChannel[c]);
                    for (int ad : ads) {
                        channel.texts[ad] = Texts.cut(channel.texts[ad] + "\n\nРеклама. ООО «" + words.title(random, topic, 1)
                                + "», erid: 2Vtzq" + Long.toString(random.nextLong() >>> 24, 36), 4096);
                    }
                    long firstId = nextId;
                    for (int p = 0; p < channel.size; p++) {
                        long id = nextId++;
                        posts.value(id).value(channelIds[c]).value(channel.messageIds[p])
                                .value(channel.groupIds[p] == 0 ? null : channel.groupIds[p])
                                .value(timestamp(channel.seconds[p])).value(words.topicName(topic));
                        posts.endRow();
                        String text = channel.texts[p];
                        content.value(id).value(text);
                        content.endRow();
                        count(counts, channel.kinds[p], text);
                    }
                    for (int ad : ads) {
                        adRows.append(firstId + ad).append('\t').append(channelIds[c]).append('\t')
                                .append(timestamp(channel.seconds[ad]));
                        if (plan.plantTarget()) {
                            double target = 0.5 + plan.targetTopicWeight() * topicEffect[topic]
                                    + plan.targetNoise() * gaussian(random);
                            adRows.append('\t').append(Math.max(0, Math.min(1, target)));
                        }
                        adRows.append('\n');
                    }
                    counts.ads += ads.length;
                    channelRows.append(channelIds[c]).append('\t').append("channel_").append(Long.toString(channelIds[c], 36))
                            .append('\t').append(escape(words.title(random, topic, 2 + random.nextInt(3)))).append('\t')
                            .append(random.nextInt(4) == 0 ? "\\N" : escape(words.about(random, topic)))
                            .append('\t').append((int) Math.exp(6 + 2 * gaussian(random))).append("\t\\N\t")
                            .append(words.topicName(topic)).append('\n');
                    counts.largestChannel = Math.max(counts.largestChannel, channel.size);
                    progress.advance(channel.size);
                }
                copy(otherConnection, "COPY " + s.channels().sql() + " FROM STDIN", channelRows);
                copy(otherConnection, "COPY " + s.ads().sql() + " FROM STDIN", adRows);
            } catch (IOException e) {
                throw new UncheckedIOException("COPY failed", e);
            }
            return counts;
        }

        private void count(Counts counts, int kind, String text) {
            counts.posts++;
            switch (kind) {
                case Channel.TEXT -> {
                    counts.textPosts++;
                    counts.totalChars += text.length();
                    counts.maxChars = Math.max(counts.maxChars, text.length());
                    // Reservoir sample of lengths for the percentiles.
                    counts.lengthSeen++;
                    if (counts.lengthSampleSize < counts.lengthSample.length) {
                        counts.lengthSample[counts.lengthSampleSize++] = text.length();
                    } else {
                        long slot = random.nextLong(counts.lengthSeen);
                        if (slot < counts.lengthSample.length) {
                            counts.lengthSample[(int) slot] = text.length();
                        }
                    }
                }
                case Channel.NULL_TEXT -> counts.nullTexts++;
                case Channel.EMPTY_TEXT -> counts.emptyTexts++;
                default -> counts.invisibleTexts++;
            }
        }

        /** Lognormal channel sizes (sigma 1.2) scaled to the planned total, each at least 1. */
        int[] channelSizes() {
            double[] weights = new double[plan.channels()];
            double sum = 0;
            for (int c = 0; c < weights.length; c++) {
                weights[c] = Math.exp(1.2 * gaussian(random));
                sum += weights[c];
            }
            int[] sizes = new int[weights.length];
            long total = 0;
            for (int c = 0; c < sizes.length; c++) {
                sizes[c] = (int) Math.max(1, Math.floor(plan.posts() * weights[c] / sum));
                total += sizes[c];
            }
            // Hand out the rounding remainder one post at a time, largest-weight channels first.
            Integer[] order = new Integer[sizes.length];
            for (int c = 0; c < order.length; c++) {
                order[c] = c;
            }
            Arrays.sort(order, (a, b) -> Double.compare(weights[b], weights[a]));
            for (int k = 0; total < plan.posts(); k = (k + 1) % order.length, total++) {
                sizes[order[k]]++;
            }
            return sizes;
        }

        /** Ad posts per channel: channels with at least 30 posts, 3 in 4 of them, in proportion to size^0.8. */
        int[] adAllocation(int[] sizes) {
            double[] weights = new double[sizes.length];
            double sum = 0;
            for (int c = 0; c < sizes.length; c++) {
                if (sizes[c] >= 30 && random.nextInt(4) != 0) {
                    weights[c] = Math.pow(sizes[c], 0.8);
                    sum += weights[c];
                }
            }
            int[] ads = new int[sizes.length];
            if (sum == 0) {
                weights[0] = 1;
                sum = 1;
            }
            long given = 0;
            for (int c = 0; c < sizes.length; c++) {
                ads[c] = (int) Math.min(sizes[c] / 2, Math.floor(plan.ads() * weights[c] / sum));
                given += ads[c];
            }
            for (int c = 0; given < plan.ads() && c < sizes.length * 4; c++) {
                int channel = c % sizes.length;
                if (weights[channel] > 0 && ads[channel] < sizes[channel] / 2) {
                    ads[channel]++;
                    given++;
                }
            }
            return ads;
        }

        /** One channel's posts in time order. */
        static final class Channel {
            static final int TEXT = 0;
            static final int NULL_TEXT = 1;
            static final int EMPTY_TEXT = 2;
            static final int INVISIBLE_TEXT = 3;

            final int size;
            final long[] seconds;
            final long[] messageIds;
            final long[] groupIds;
            final String[] texts;
            final int[] kinds;

            Channel(int size) {
                this.size = size;
                seconds = new long[size];
                messageIds = new long[size];
                groupIds = new long[size];
                texts = new String[size];
                kinds = new int[size];
            }
        }

        Channel generateChannel(int size, int topic, double textChance) {
            Channel channel = new Channel(size);
            long span = plan.days() * 86_400L;
            // One channel in five starts during the year.
            long first = random.nextInt(5) == 0 ? yearStart + (long) (random.nextDouble() * span * 0.8) : yearStart;
            long length = yearStart + span - first;
            long last = yearStart + span - 1;
            int p = 0;
            while (p < size) {
                // A session: a few events minutes apart, at a uniform time of the channel's span.
                long clock = first + (long) (random.nextDouble() * length);
                int events = 1 + (int) (-2 * Math.log(1 - random.nextDouble()));
                for (int e = 0; e < events && p < size; e++) {
                    if (e > 0) {
                        clock = Math.min(last, clock + 30 + (long) (-600 * Math.log(1 - random.nextDouble())));
                    }
                    boolean album = random.nextDouble() < ALBUM_SHARE;
                    int members = album ? ALBUM_MIN + random.nextInt(ALBUM_MAX - ALBUM_MIN + 1) : 1;
                    long group = album ? random.nextLong(1, Long.MAX_VALUE) : 0;
                    for (int m = 0; m < members && p < size; m++, p++) {
                        channel.seconds[p] = clock;
                        channel.groupIds[p] = group;
                        if (m == 0 && random.nextDouble() < textChance) {
                            channel.kinds[p] = Channel.TEXT;
                            channel.texts[p] = words.post(random, topic, textLength());
                        } else {
                            noText(channel, p);
                        }
                    }
                }
            }
            // Sessions overlap: order by time. The sort is stable, so album members stay together.
            sortByTime(channel);
            long message = 1 + random.nextInt(50);
            for (int k = 0; k < size; k++) {
                channel.messageIds[k] = message;
                message += 1 + (random.nextInt(10) == 0 ? random.nextInt(5) : 0);
            }
            return channel;
        }

        private void noText(Channel channel, int p) {
            double r = random.nextDouble();
            if (r < 0.55) {
                channel.kinds[p] = Channel.NULL_TEXT;
                channel.texts[p] = null;
            } else if (r < 0.80) {
                channel.kinds[p] = Channel.EMPTY_TEXT;
                channel.texts[p] = "";
            } else {
                channel.kinds[p] = Channel.INVISIBLE_TEXT;
                channel.texts[p] = INVISIBLE_ONLY[random.nextInt(INVISIBLE_ONLY.length)];
            }
        }

        private static void sortByTime(Channel channel) {
            Integer[] order = new Integer[channel.size];
            for (int k = 0; k < order.length; k++) {
                order[k] = k;
            }
            Arrays.sort(order, (a, b) -> Long.compare(channel.seconds[a], channel.seconds[b]));
            long[] seconds = channel.seconds.clone();
            long[] groups = channel.groupIds.clone();
            String[] texts = channel.texts.clone();
            int[] kinds = channel.kinds.clone();
            for (int k = 0; k < order.length; k++) {
                channel.seconds[k] = seconds[order[k]];
                channel.groupIds[k] = groups[order[k]];
                channel.texts[k] = texts[order[k]];
                channel.kinds[k] = kinds[order[k]];
            }
        }

        private int[] pickAds(Channel channel, int wanted) {
            List<Integer> textPosts = new ArrayList<>();
            for (int p = 0; p < channel.size; p++) {
                if (channel.kinds[p] == Channel.TEXT) {
                    textPosts.add(p);
                }
            }
            int n = Math.min(wanted, textPosts.size());
            // Partial Fisher-Yates shuffle: the first n entries are a uniform sample.
            for (int k = 0; k < n; k++) {
                int swap = k + random.nextInt(textPosts.size() - k);
                Integer tmp = textPosts.get(k);
                textPosts.set(k, textPosts.get(swap));
                textPosts.set(swap, tmp);
            }
            int[] ads = new int[n];
            for (int k = 0; k < n; k++) {
                ads[k] = textPosts.get(k);
            }
            Arrays.sort(ads);
            return ads;
        }

        private int textLength() {
            double u = random.nextDouble();
            for (int k = 1; k < LENGTH_KNOTS.length; k++) {
                if (u <= LENGTH_KNOTS[k][0]) {
                    double[] a = LENGTH_KNOTS[k - 1];
                    double[] b = LENGTH_KNOTS[k];
                    double share = (u - a[0]) / (b[0] - a[0]);
                    double log = Math.log(a[1]) + share * (Math.log(b[1]) - Math.log(a[1]));
                    return (int) Math.max(1, Math.min(4096, Math.round(Math.exp(log))));
                }
            }
            return 4096;
        }

        private String timestamp(long epochSecond) {
            long offset = epochSecond - yearStart;
            int day = (int) (offset / 86_400);
            int second = (int) (offset % 86_400);
            return dayPrefix[day] + two(second / 3600) + ':' + two(second / 60 % 60) + ':' + two(second % 60) + "+00";
        }

        private static String two(int n) {
            return n < 10 ? "0" + n : Integer.toString(n);
        }

        private long[] distinctIds(int n, long from, long to) {
            java.util.HashSet<Long> seen = new java.util.HashSet<>();
            long[] ids = new long[n];
            for (int k = 0; k < n; ) {
                long id = random.nextLong(from, to);
                if (seen.add(id)) {
                    ids[k++] = id;
                }
            }
            return ids;
        }

        private static String escape(String text) {
            return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
        }

        private static Writer copyWriter(Connection connection, String sql) throws SQLException {
            PGCopyOutputStream stream = new PGCopyOutputStream(connection.unwrap(PGConnection.class), sql, 1 << 20);
            return new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 20);
        }

        private static void copy(Connection connection, String sql, StringBuilder rows) throws SQLException, IOException {
            connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new java.io.StringReader(rows.toString()));
        }
    }

    static double gaussian(SplittableRandom random) {
        // Box-Muller; one value per call is enough here.
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Pseudo-Russian vocabulary: common words with Zipf frequencies and a word list per topic. */
    static final class Words {
        private static final String CONSONANTS = "бвгджзклмнпрстфхцчшщ";
        private static final String VOWELS = "аеиоуыэюяё";
        private final String[] common;
        private final double[] cumulative;
        private final String[][] topicWords;
        private final String[] topicNames;

        Words(SplittableRandom random, int topics) {
            common = new String[6000];
            for (int k = 0; k < common.length; k++) {
                common[k] = word(random);
            }
            cumulative = new double[common.length];
            double sum = 0;
            for (int k = 0; k < common.length; k++) {
                sum += 1.0 / (k + 1);
                cumulative[k] = sum;
            }
            for (int k = 0; k < cumulative.length; k++) {
                cumulative[k] /= sum;
            }
            topicWords = new String[topics][400];
            topicNames = new String[topics];
            for (int t = 0; t < topics; t++) {
                topicNames[t] = String.format("topic_%02d", t);
                for (int k = 0; k < 400; k++) {
                    topicWords[t][k] = word(random);
                }
            }
        }

        String topicName(int topic) {
            return topicNames[topic];
        }

        private static String word(SplittableRandom random) {
            int syllables = 1 + random.nextInt(4);
            StringBuilder w = new StringBuilder();
            for (int s = 0; s < syllables; s++) {
                w.append(CONSONANTS.charAt(random.nextInt(CONSONANTS.length())));
                w.append(VOWELS.charAt(random.nextInt(VOWELS.length())));
                if (random.nextInt(3) == 0) {
                    w.append(CONSONANTS.charAt(random.nextInt(CONSONANTS.length())));
                }
            }
            return w.toString();
        }

        private String next(SplittableRandom random, int topic) {
            if (random.nextInt(4) == 0) {
                String[] own = topicWords[topic];
                return own[random.nextInt(own.length)];
            }
            int k = Arrays.binarySearch(cumulative, random.nextDouble());
            return common[k < 0 ? Math.min(common.length - 1, -k - 1) : k];
        }

        String title(SplittableRandom random, int topic, int count) {
            StringBuilder t = new StringBuilder();
            for (int k = 0; k < count; k++) {
                String w = k == 0 ? topicWords[topic][random.nextInt(40)] : next(random, topic);
                t.append(k == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : " " + w);
            }
            return t.toString();
        }

        String about(SplittableRandom random, int topic) {
            return post(random, topic, 40 + random.nextInt(200));
        }

        /** A post of about {@code length} characters, cut without splitting a surrogate pair. */
        String post(SplittableRandom random, int topic, int length) {
            StringBuilder text = new StringBuilder(length + 32);
            int sentence = 0;
            while (text.length() < length) {
                int count = 4 + random.nextInt(12);
                for (int k = 0; k < count && text.length() < length; k++) {
                    String w = next(random, topic);
                    if (k == 0) {
                        text.append(Character.toUpperCase(w.charAt(0))).append(w, 1, w.length());
                    } else {
                        text.append(w);
                    }
                    text.append(k == count - 1 ? "" : random.nextInt(9) == 0 ? ", " : " ");
                }
                text.append(random.nextInt(6) == 0 ? "!" : ".");
                if (random.nextInt(8) == 0) {
                    text.append(' ').append(EMOJI[random.nextInt(EMOJI.length)]);
                }
                if (random.nextInt(20) == 0) {
                    text.append(" https://t.me/").append(next(random, topic)).append('/').append(random.nextInt(10000));
                }
                if (random.nextInt(25) == 0) {
                    text.append(" #").append(topicWords[topic][random.nextInt(20)]);
                }
                text.append(++sentence % 3 == 0 ? "\n\n" : " ");
            }
            return Texts.cut(text.toString().strip(), length);
        }
    }
}
