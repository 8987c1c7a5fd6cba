package chanemb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Writes source rows (posts, texts, ad posts) straight into a test database. */
final class SourceFixture implements AutoCloseable {
    final Database db;
    final SourceSchema schema = SourceSchema.from(Config.defaults(java.nio.file.Path.of(""), java.util.Map.of()));
    private final Connection connection;
    private final PreparedStatement post;
    private final PreparedStatement content;
    private final PreparedStatement ad;

    SourceFixture(Database db) throws SQLException {
        this.db = db;
        this.connection = db.connect();
        try (Statement statement = connection.createStatement()) {
            Importer.createTables(statement, schema);
        }
        post = connection.prepareStatement(
                "INSERT INTO parse.posts_metadata (id, channel_id, post_id, post_date) VALUES (?, ?, ?, ?)");
        content = connection.prepareStatement("INSERT INTO parse.posts_content (id, raw_text) VALUES (?, ?)");
        ad = connection.prepareStatement(
                "INSERT INTO ml_house.final_basis_with_metrics_v2 (id, channel_id, post_date) VALUES (?, ?, ?)");
    }

    /** Adds a post with its text (null text: a content row with NULL; use {@link #postWithoutContent} for none). */
    SourceFixture post(long id, long channel, Instant date, String text) throws SQLException {
        postWithoutContent(id, channel, date);
        content.setLong(1, id);
        content.setString(2, text);
        content.executeUpdate();
        return this;
    }

    SourceFixture postWithoutContent(long id, long channel, Instant date) throws SQLException {
        post.setLong(1, id);
        post.setLong(2, channel);
        post.setLong(3, id);
        post.setObject(4, OffsetDateTime.ofInstant(date, ZoneOffset.UTC));
        post.executeUpdate();
        return this;
    }

    SourceFixture ad(long id, long channel, Instant date) throws SQLException {
        ad.setLong(1, id);
        ad.setLong(2, channel);
        ad.setObject(3, OffsetDateTime.ofInstant(date, ZoneOffset.UTC));
        ad.executeUpdate();
        return this;
    }

    Connection connection() {
        return connection;
    }

    @Override
    public void close() throws SQLException {
        post.close();
        content.close();
        ad.close();
        connection.close();
    }
}
