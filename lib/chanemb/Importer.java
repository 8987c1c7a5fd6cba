package chanemb;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Loads Telegram channel posts into the source schema and marks ad posts.
 *
 * <p>Two input formats, plain or gzip-compressed: the per-channel JSON array of the
 * telegram-news collection ({@code message_id, sender_id, text, date, channel, category}) and
 * Telegram Desktop's {@code result.json} export, of one chat or of a whole account. Every file is
 * parsed before anything is written, and all files are written in one transaction, so a
 * malformed file leaves the database as it was. Rerunning updates rows in place: posts are
 * keyed by (channel id, message id).
 */
public final class Importer {
    /** Telegram's "-100" prefix of channel peer ids, as a number. */
    private static final long CHANNEL_PEER_OFFSET = 1_000_000_000_000L;

    private static final Pattern HASHTAG = Pattern.compile("#[\\p{L}\\p{N}_]+");

    private Importer() {
    }

    /** A channel as found in an input file. */
    public record Channel(long id, String name, String title, String about, Integer participants) {
    }

    /** One post; {@code label} is a topic label from the input, if it has one. */
    public record Post(long channelId, long messageId, Long groupId, Instant date, String text, String label) {
    }

    /** The posts of one channel from one file. */
    public record ChannelPosts(Path file, Channel channel, List<Post> posts) {
    }

    /**
     * Rules that make a post an ad post; any matching rule does. The rule that matched first is
     * stored with the ad post.
     */
    public record AdRules(Set<String> labels, boolean erid, Set<String> hashtags) {
        /** The ad-registry marker: "erid" followed by ':' or '=' and a token, not inside a word. */
        private static final Pattern ERID = Pattern.compile("(?i)(?<![\\p{L}\\p{N}])erid\\s*[:=]\\s*[A-Za-z0-9]{5,}");

        public static AdRules defaults() {
            return new AdRules(Set.of("advertisement"), true, Set.of("#реклама", "#промо"));
        }

        public AdRules {
            labels = Set.copyOf(labels);
            Set<String> normalized = new LinkedHashSet<>();
            for (String tag : hashtags) {
                String t = tag.trim().toLowerCase(Locale.ROOT);
                normalized.add(t.startsWith("#") ? t : "#" + t);
            }
            hashtags = Set.copyOf(normalized);
        }

        /** Returns the name of the first matching rule ("label", "erid", "hashtag"), or null. */
        public String match(Post post) {
            if (post.label() != null && labels.contains(post.label())) {
                return "label";
            }
            String text = post.text();
            if (text == null) {
                return null;
            }
            if (erid && ERID.matcher(text).find()) {
                return "erid";
            }
            if (!hashtags.isEmpty()) {
                Matcher m = HASHTAG.matcher(text);
                while (m.find()) {
                    if (hashtags.contains(m.group().toLowerCase(Locale.ROOT))) {
                        return "hashtag";
                    }
                }
            }
            return null;
        }
    }

    /** Counts of one import. */
    public record Result(int files, int channels, long posts, long newPosts, long textPosts, long adPosts,
                         long newAdPosts, Map<String, Long> adPostsByRule, long repairedTexts) {
    }

    // ---------------------------------------------------------------- parsing

    /** Expands folders into their .json and .json.gz files, sorted by name. */
    public static List<Path> inputFiles(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                List<Path> inFolder = new ArrayList<>();
                try (DirectoryStream<Path> stream = Files.newDirectoryStream(path, "*.{json,json.gz}")) {
                    stream.forEach(inFolder::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                inFolder.sort(null);
                if (inFolder.isEmpty()) {
                    throw new UserException("import.empty-folder", path);
                }
                files.addAll(inFolder);
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new UserException("import.file-missing", path);
            }
        }
        return files;
    }

    /** Parses one file in either format; throws a {@link UserException} naming the file and position. */
    public static List<ChannelPosts> parse(Path file, Texts.Repairs repairs) {
        try (InputStream in = open(file); JsonParser parser = Json.MAPPER.getFactory().createParser(in)) {
            JsonToken first = parser.nextToken();
            if (first == JsonToken.START_ARRAY) {
                return List.of(parseNewsArray(file, parser, repairs));
            }
            if (first == JsonToken.START_OBJECT) {
                JsonNode root = Json.MAPPER.readTree(parser);
                return parseDesktopExport(file, root, repairs);
            }
            throw new UserException("import.unknown-format", file);
        } catch (JsonParseException e) {
            JsonLocation at = e.getLocation();
            throw new UserException(e, "import.invalid-json", file, at.getLineNr(), at.getColumnNr(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new UserException(e, "import.unreadable", file, e.getMessage());
        }
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** The telegram-news format: an array of messages of one channel, newest first. */
    private static ChannelPosts parseNewsArray(Path file, JsonParser parser, Texts.Repairs repairs) throws IOException {
        List<Post> posts = new ArrayList<>();
        Channel channel = null;
        int index = 0;
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            JsonNode message = Json.MAPPER.readTree(parser);
            long senderId = requireLong(file, message, "sender_id", index);
            long channelId = channelId(senderId);
            if (channel == null) {
                channel = new Channel(channelId, null, textOrNull(message.get("channel")), null, null);
            } else if (channel.id() != channelId) {
                throw new UserException("import.mixed-channels", file, index, channel.id(), channelId);
            }
            long messageId = requireLong(file, message, "message_id", index);
            Instant date = parseIsoDate(file, message, index);
            String text = Texts.repair(textOrNull(message.get("text")), repairs);
            posts.add(new Post(channelId, messageId, null, date, text, textOrNull(message.get("category"))));
            index++;
        }
        if (parser.currentToken() != JsonToken.END_ARRAY) {
            throw new UserException("import.unknown-format", file);
        }
        if (channel == null) {
            throw new UserException("import.no-posts", file);
        }
        return new ChannelPosts(file, channel, posts);
    }

    /** Telegram Desktop's export: one chat ({"messages": [...]}) or an account ({"chats": {"list": [...]}}). */
    private static List<ChannelPosts> parseDesktopExport(Path file, JsonNode root, Texts.Repairs repairs) {
        List<ChannelPosts> result = new ArrayList<>();
        if (root.has("messages")) {
            result.add(parseDesktopChat(file, root, repairs));
        } else if (root.path("chats").path("list").isArray()) {
            for (JsonNode chat : root.path("chats").path("list")) {
                if (chat.has("messages") && chat.path("type").asText("").contains("channel")) {
                    result.add(parseDesktopChat(file, chat, repairs));
                }
            }
            if (result.isEmpty()) {
                throw new UserException("import.no-channels", file);
            }
        } else {
            throw new UserException("import.unknown-format", file);
        }
        return result;
    }

    private static ChannelPosts parseDesktopChat(Path file, JsonNode chat, Texts.Repairs repairs) {
        if (!chat.path("id").canConvertToLong()) {
            throw new UserException("import.missing-field", file, "id", "chat");
        }
        long channelId = channelId(chat.path("id").asLong());
        Channel channel = new Channel(channelId, textOrNull(chat.get("username")), textOrNull(chat.get("name")), null,
                null);
        List<Post> posts = new ArrayList<>();
        int index = 0;
        for (JsonNode message : chat.path("messages")) {
            if (!"message".equals(message.path("type").asText())) {
                index++;
                continue;
            }
            long messageId = requireLong(file, message, "id", index);
            Instant date;
            if (message.path("date_unixtime").isMissingNode()) {
                throw new UserException("import.missing-field", file, "date_unixtime", index);
            }
            try {
                date = Instant.ofEpochSecond(Long.parseLong(message.path("date_unixtime").asText().trim()));
            } catch (NumberFormatException e) {
                throw new UserException("import.invalid-value", file, "date_unixtime", index,
                        message.path("date_unixtime").asText());
            }
            String text = Texts.repair(desktopText(message.get("text")), repairs);
            posts.add(new Post(channelId, messageId, null, date, text, null));
            index++;
        }
        return new ChannelPosts(file, channel, posts);
    }

    /** Joins Telegram Desktop text: a string, or an array of strings and {"type", "text"} pieces. */
    static String desktopText(JsonNode text) {
        if (text == null || text.isNull()) {
            return null;
        }
        if (text.isTextual()) {
            return text.asText();
        }
        StringBuilder joined = new StringBuilder();
        for (JsonNode piece : text) {
            joined.append(piece.isTextual() ? piece.asText() : piece.path("text").asText(""));
        }
        return joined.toString();
    }

    /** Strips Telegram's "-100" channel peer prefix: -1001000724666 becomes 1000724666. */
    static long channelId(long peerOrChannelId) {
        if (peerOrChannelId <= -CHANNEL_PEER_OFFSET) {
            return -peerOrChannelId - CHANNEL_PEER_OFFSET;
        }
        return Math.abs(peerOrChannelId);
    }

    private static long requireLong(Path file, JsonNode message, String field, int index) {
        JsonNode value = message.get(field);
        if (value == null || value.isNull()) {
            throw new UserException("import.missing-field", file, field, index);
        }
        if (!value.canConvertToLong() && !(value.isTextual() && value.asText().matches("-?\\d{1,18}"))) {
            throw new UserException("import.invalid-value", file, field, index, value.toString());
        }
        return value.asLong();
    }

    private static Instant parseIsoDate(Path file, JsonNode message, int index) {
        JsonNode value = message.get("date");
        if (value == null || value.isNull()) {
            throw new UserException("import.missing-field", file, "date", index);
        }
        try {
            return OffsetDateTime.parse(value.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw new UserException("import.invalid-value", file, "date", index, value.asText());
        }
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    // ---------------------------------------------------------------- writing

    /** Parses every file, then writes all of them in one transaction. */
    public static Result importFiles(Database db, SourceSchema schema, List<Path> paths, AdRules rules) {
        Texts.Repairs repairs = new Texts.Repairs();
        List<Path> files = inputFiles(paths);
        List<ChannelPosts> parsed = new ArrayList<>();
        for (Path file : files) {
            parsed.addAll(parse(file, repairs));
        }
        if (repairs.total() > 0) {
            Log.info("import.repairs", repairs);
        }
        return write(db, schema, files.size(), parsed, rules, repairs.total());
    }

    /** Imports the bundled sample into a fresh embedded database. */
    static void importSample(Database db, Config config) {
        Path sample = config.root().resolve("data/sample");
        if (!Files.isDirectory(sample)) {
            throw new UserException("import.sample-missing", sample);
        }
        Result result = importFiles(db, SourceSchema.from(config), List.of(sample), AdRules.defaults());
        Log.info("import.sample-done", result.channels(), result.posts(), result.adPosts());
    }

    static Result write(Database db, SourceSchema s, int fileCount, List<ChannelPosts> data, AdRules rules,
                        long repaired) {
        Map<String, Long> byRule = new LinkedHashMap<>();
        long posts = 0;
        long textPosts = 0;
        try (Connection connection = db.connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                createTables(statement, s);
                statement.execute("CREATE TEMP TABLE import_posts (channel_id bigint, post_id bigint, group_id bigint,"
                        + " post_date timestamptz, raw_text text, ad_rule text, label text) ON COMMIT DROP");
                boolean labels = hasColumn(connection, s.posts(), s.postLabel());
                long adsBefore = count(statement, "SELECT count(*) FROM " + s.ads().sql());
                long postsBefore = count(statement, "SELECT count(*) FROM " + s.posts().sql());

                upsertChannels(connection, s, data);
                CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                        .copyIn("COPY import_posts FROM STDIN (FORMAT text)");
                try (Writer out = new java.io.OutputStreamWriter(new PGCopyOutputStream(copy, 1 << 16),
                        java.nio.charset.StandardCharsets.UTF_8)) {
                    PgCopy row = new PgCopy(out);
                    for (ChannelPosts channel : data) {
                        for (Post post : channel.posts()) {
                            String rule = rules.match(post);
                            if (rule != null) {
                                byRule.merge(rule, 1L, Long::sum);
                            }
                            row.value(post.channelId()).value(post.messageId()).value(post.groupId())
                                    .value(post.date()).value(post.text()).value(rule).value(post.label());
                            row.endRow();
                            posts++;
                            if (Texts.isTextPost(post.text())) {
                                textPosts++;
                            }
                        }
                    }
                }
                statement.execute("CREATE INDEX ON import_posts (channel_id, post_id)");
                // One row per (channel, message): a later duplicate in the input wins.
                statement.execute("DELETE FROM import_posts a USING import_posts b WHERE a.channel_id = b.channel_id"
                        + " AND a.post_id = b.post_id AND a.ctid < b.ctid");

                String labelColumn = labels ? ", " + s.postLabel() : "";
                String labelUpdate = labels ? ", " + s.postLabel() + " = EXCLUDED." + s.postLabel() : "";
                statement.execute("INSERT INTO " + s.posts().sql() + " (" + s.postChannelId() + ", " + s.postMessageId()
                        + ", " + s.postGroupId() + ", " + s.postDate() + labelColumn + ")"
                        + " SELECT channel_id, post_id, group_id, post_date" + (labels ? ", label" : "") + " FROM import_posts"
                        + " ON CONFLICT (" + s.postChannelId() + ", " + s.postMessageId() + ") DO UPDATE SET "
                        + s.postDate() + " = EXCLUDED." + s.postDate() + ", " + s.postGroupId() + " = EXCLUDED."
                        + s.postGroupId() + labelUpdate);
                String joinIds = " FROM import_posts i JOIN " + s.posts().sql() + " m ON m." + s.postChannelId()
                        + " = i.channel_id AND m." + s.postMessageId() + " = i.post_id";
                statement.execute("INSERT INTO " + s.content().sql() + " (" + s.contentId() + ", " + s.contentText() + ")"
                        + " SELECT m." + s.postId() + ", i.raw_text" + joinIds
                        + " ON CONFLICT (" + s.contentId() + ") DO UPDATE SET " + s.contentText() + " = EXCLUDED."
                        + s.contentText());
                statement.execute("INSERT INTO " + s.ads().sql() + " (" + s.adId() + ", " + s.adChannelId() + ", "
                        + s.adDate() + ")"
                        + " SELECT m." + s.postId() + ", i.channel_id, i.post_date" + joinIds
                        + " WHERE i.ad_rule IS NOT NULL"
                        + " ON CONFLICT (" + s.adId() + ") DO UPDATE SET " + s.adChannelId() + " = EXCLUDED."
                        + s.adChannelId() + ", " + s.adDate() + " = EXCLUDED." + s.adDate());
                long adsAfter = count(statement, "SELECT count(*) FROM " + s.ads().sql());
                long postsAfter = count(statement, "SELECT count(*) FROM " + s.posts().sql());
                connection.commit();

                long adPosts = byRule.values().stream().mapToLong(Long::longValue).sum();
                return new Result(fileCount, data.size(), posts, postsAfter - postsBefore, textPosts, adPosts,
                        adsAfter - adsBefore, byRule, repaired);
            } catch (SQLException | IOException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new UserException(e, "import.write-failed", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void upsertChannels(Connection connection, SourceSchema s, List<ChannelPosts> data)
            throws SQLException {
        String sql = "INSERT INTO " + s.channels().sql() + " (" + s.channelId() + ", " + s.channelName() + ", "
                + s.channelTitle() + ", " + s.channelAbout() + ", " + s.channelParticipants() + ") VALUES (?, ?, ?, ?, ?)"
                + " ON CONFLICT (" + s.channelId() + ") DO UPDATE SET "
                + s.channelName() + " = COALESCE(EXCLUDED." + s.channelName() + ", " + s.channels().sql() + "."
                + s.channelName() + "), "
                + s.channelTitle() + " = COALESCE(EXCLUDED." + s.channelTitle() + ", " + s.channels().sql() + "."
                + s.channelTitle() + "), "
                + s.channelAbout() + " = COALESCE(EXCLUDED." + s.channelAbout() + ", " + s.channels().sql() + "."
                + s.channelAbout() + ")";
        try (var insert = connection.prepareStatement(sql)) {
            for (ChannelPosts channelPosts : data) {
                Channel channel = channelPosts.channel();
                insert.setLong(1, channel.id());
                insert.setString(2, channel.name());
                insert.setString(3, channel.title());
                insert.setString(4, channel.about());
                insert.setObject(5, channel.participants());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Creates the source schema when missing; existing tables are kept as they are. */
    static void createTables(Statement statement, SourceSchema s) throws SQLException {
        for (Sql.Table table : List.of(s.posts(), s.content(), s.channels(), s.ads())) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.quote(table.schema()));
        }
        statement.execute("CREATE TABLE IF NOT EXISTS " + s.channels().sql() + " (" + s.channelId()
                + " bigint PRIMARY KEY, " + s.channelName() + " text, " + s.channelTitle() + " text, "
                + s.channelAbout() + " text, " + s.channelParticipants() + " integer, " + s.channelLastPinned()
                + " bigint)");
        statement.execute("CREATE TABLE IF NOT EXISTS " + s.posts().sql() + " (" + s.postId()
                + " bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, " + s.postChannelId() + " bigint NOT NULL, "
                + s.postMessageId() + " bigint NOT NULL, " + s.postGroupId() + " bigint, " + s.postDate()
                + " timestamptz NOT NULL, " + s.postLabel() + " text, UNIQUE (" + s.postChannelId() + ", "
                + s.postMessageId() + "))");
        statement.execute("CREATE INDEX IF NOT EXISTS " + Sql.quote(s.posts().name() + "_channel_date_idx") + " ON "
                + s.posts().sql() + " (" + s.postChannelId() + ", " + s.postDate() + ", " + s.postId() + ")");
        statement.execute("CREATE TABLE IF NOT EXISTS " + s.content().sql() + " (" + s.contentId()
                + " bigint PRIMARY KEY, " + s.contentText() + " text)");
        statement.execute("CREATE TABLE IF NOT EXISTS " + s.ads().sql() + " (" + s.adId() + " bigint PRIMARY KEY, "
                + s.adChannelId() + " bigint NOT NULL, " + s.adDate() + " timestamptz NOT NULL)");
    }

    /** True when the table has the column; the label column is optional in existing schemas. */
    static boolean hasColumn(Connection connection, Sql.Table table, String quotedColumn) throws SQLException {
        try (var query = connection.prepareStatement("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = ?")) {
            query.setString(1, table.schema());
            query.setString(2, table.name());
            query.setString(3, quotedColumn.substring(1, quotedColumn.length() - 1));
            try (var rs = query.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    private static long count(Statement statement, String sql) throws SQLException {
        try (var rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
