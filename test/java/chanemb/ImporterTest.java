package chanemb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImporterTest {
    private static final Path RESOURCES = Path.of("test/resources/import");
    private static final SourceSchema SCHEMA = SourceSchema.from(Config.defaults(Path.of(""), Map.of()));

    @Test
    void desktopExportTextPiecesAndUnixTime() {
        List<Importer.ChannelPosts> parsed = Importer.parse(RESOURCES.resolve("desktop_channel.json"), new Texts.Repairs());

        assertThat(parsed).hasSize(1);
        Importer.ChannelPosts channel = parsed.get(0);
        assertThat(channel.channel().id()).isEqualTo(1987654321L);
        assertThat(channel.channel().title()).isEqualTo("Тестовый канал");
        assertThat(channel.posts()).extracting(Importer.Post::messageId).containsExactly(2L, 3L, 4L, 5L, 6L);
        Importer.Post post = channel.posts().get(2);
        assertThat(post.text()).isEqualTo("Скидки на курсы до 50%! #Реклама подробнее");
        assertThat(post.date()).isEqualTo(java.time.Instant.ofEpochSecond(1730529000L));
    }

    @Test
    void newsFormatStripsPeerPrefixAndKeepsOffsets() {
        Texts.Repairs repairs = new Texts.Repairs();
        List<Importer.ChannelPosts> parsed = Importer.parse(RESOURCES.resolve("news_channel.json"), repairs);

        Importer.ChannelPosts channel = parsed.get(0);
        assertThat(channel.channel().id()).isEqualTo(1000000042L);
        assertThat(channel.posts().get(1).date()).isEqualTo(java.time.Instant.parse("2024-11-02T10:00:00Z"));
        assertThat(channel.posts().get(2).text()).isEqualTo("Первый пост \ud83d\udcb5 и одинокий ");
        assertThat(repairs.loneSurrogatesRemoved.get()).isEqualTo(1);
    }

    @Test
    void adRulesMatchLabelEridAndHashtag() {
        Importer.AdRules rules = Importer.AdRules.defaults();
        java.time.Instant now = java.time.Instant.now();

        assertThat(rules.match(new Importer.Post(1, 1, null, now, "text", "advertisement"))).isEqualTo("label");
        assertThat(rules.match(new Importer.Post(1, 2, null, now, "ERID: 2VtzqwAbCdE", null))).isEqualTo("erid");
        assertThat(rules.match(new Importer.Post(1, 3, null, now, "x?utm=1&erid=LjN8KCQpY)", null))).isEqualTo("erid");
        assertThat(rules.match(new Importer.Post(1, 4, null, now, "Скидки #Реклама", null))).isEqualTo("hashtag");
        assertThat(rules.match(new Importer.Post(1, 5, null, now, "eurypterid-marathon", null))).isNull();
        assertThat(rules.match(new Importer.Post(1, 6, null, now, "ссылка &erid=)", null))).isNull();
        assertThat(rules.match(new Importer.Post(1, 7, null, now, "#рекламный_пост", null))).isNull();
    }

    @Test
    void importWritesBothFormatsAndRerunsInPlace() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            List<Path> files = List.of(RESOURCES.resolve("desktop_channel.json"), RESOURCES.resolve("news_channel.json"),
                    RESOURCES.resolve("desktop_account.json"));

            Importer.Result first = Importer.importFiles(db, SCHEMA, files, Importer.AdRules.defaults());
            Importer.Result second = Importer.importFiles(db, SCHEMA, files, Importer.AdRules.defaults());

            assertThat(first.channels()).isEqualTo(3);
            assertThat(first.posts()).isEqualTo(10);
            assertThat(first.newPosts()).isEqualTo(10);
            assertThat(first.adPostsByRule()).containsEntry("hashtag", 2L).containsEntry("erid", 2L)
                    .containsEntry("label", 1L);
            assertThat(second.newPosts()).isZero();
            assertThat(second.newAdPosts()).isZero();
            assertThat(count(db, "SELECT count(*) FROM parse.posts_metadata")).isEqualTo(10);
            assertThat(count(db, "SELECT count(*) FROM parse.posts_content")).isEqualTo(10);
            assertThat(count(db, "SELECT count(*) FROM ml_house.final_basis_with_metrics_v2")).isEqualTo(5);
            assertThat(count(db, "SELECT count(*) FROM parse.channels")).isEqualTo(3);
        }
    }

    @Test
    void topicLabelsAreKept() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Importer.importFiles(db, SCHEMA, List.of(RESOURCES.resolve("news_channel.json")), Importer.AdRules.defaults());

            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT category FROM parse.posts_metadata ORDER BY post_id")) {
                List<String> labels = new java.util.ArrayList<>();
                while (rs.next()) {
                    labels.add(rs.getString(1));
                }
                assertThat(labels).containsExactly("science", "advertisement", "other");
            }
        }
    }

    @Test
    void nulIsRemovedBeforePostgres() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Importer.Result result = Importer.importFiles(db, SCHEMA, List.of(RESOURCES.resolve("desktop_channel.json")),
                    Importer.AdRules.defaults());

            assertThat(result.repairedTexts()).isEqualTo(1);
            assertThat(text(db, 1987654321L, 5)).isEqualTo("Акция до 31.12");
        }
    }

    @Test
    void postDatesAreStoredAsInstants() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Importer.importFiles(db, SCHEMA, List.of(RESOURCES.resolve("news_channel.json")), Importer.AdRules.defaults());

            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT post_date FROM parse.posts_metadata WHERE post_id = 2")) {
                rs.next();
                assertThat(rs.getObject(1, OffsetDateTime.class).toInstant())
                        .isEqualTo(java.time.Instant.parse("2024-11-02T10:00:00Z"));
            }
        }
    }

    @Test
    void malformedFileWritesNothing() throws Exception {
        try (Database db = TestDatabase.fresh()) {
            Importer.importFiles(db, SCHEMA, List.of(RESOURCES.resolve("news_channel.json")), Importer.AdRules.defaults());
            List<Path> files = List.of(RESOURCES.resolve("desktop_channel.json"), RESOURCES.resolve("truncated.json"));

            assertThatThrownBy(() -> Importer.importFiles(db, SCHEMA, files, Importer.AdRules.defaults()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("truncated.json")
                    .hasMessageContaining("line 3")
                    .hasMessageContaining("Nothing was imported");
            assertThat(count(db, "SELECT count(*) FROM parse.posts_metadata")).isEqualTo(3);
        }
    }

    @Test
    void missingFieldNamesFileAndMessage() throws Exception {
        Path file = java.nio.file.Files.createTempFile("chanemb", ".json");
        java.nio.file.Files.writeString(file, "[{\"message_id\": 1, \"sender_id\": -1001, \"text\": \"x\"}]");

        assertThatThrownBy(() -> Importer.parse(file, new Texts.Repairs()))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("\"date\"")
                .hasMessageContaining(file.getFileName().toString());
    }

    private static long count(Database db, String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String text(Database db, long channel, long messageId) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT c.raw_text FROM parse.posts_content c JOIN parse.posts_metadata m"
                     + " ON m.id = c.id WHERE m.channel_id = " + channel + " AND m.post_id = " + messageId)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
