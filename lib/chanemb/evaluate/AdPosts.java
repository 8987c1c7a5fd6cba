package chanemb.evaluate;

import chanemb.Dataset;
import chanemb.Duck;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The ad posts to evaluate, with their channel and date, read from the windows output. */
public final class AdPosts {
    private AdPosts() {
    }

    /** One ad post. {@code epochMillis} is its post date in milliseconds since the epoch. */
    public record AdPost(long id, long channelId, long epochMillis) {
    }

    /** Reads every ad post of a complete windows output, ordered by (date, id). */
    public static List<AdPost> read(Path windowsDir) {
        Dataset.require(windowsDir, "find_prev_posts");
        List<AdPost> ads = new ArrayList<>();
        if (Dataset.parts(windowsDir).isEmpty()) {
            return ads;
        }
        String sql = "SELECT ad_post_id, channel_id, epoch_ms(ad_post_date) FROM read_parquet(" + Dataset.glob(windowsDir)
                + ") ORDER BY ad_post_date, ad_post_id";
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                ads.add(new AdPost(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read ad posts from " + windowsDir + ": " + e.getMessage(), e);
        }
        return ads;
    }
}
