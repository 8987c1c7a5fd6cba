package chanemb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Reads the windows output of find_prev_posts. */
public final class WindowsFile {
    private WindowsFile() {
    }

    /** One window: an ad post, its channel and its previous post ids, oldest first. */
    public record Entry(long adPostId, long channelId, long[] prevPostIds) {
    }

    public static List<Entry> read(Path windowsDir) {
        Dataset.require(windowsDir, "find_prev_posts");
        List<Entry> windows = new ArrayList<>();
        if (Dataset.parts(windowsDir).isEmpty()) {
            return windows;
        }
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT ad_post_id, channel_id, prev_post_ids FROM read_parquet("
                     + Dataset.glob(windowsDir) + ") ORDER BY ad_post_id")) {
            while (rs.next()) {
                Object[] ids = (Object[]) rs.getArray(3).getArray();
                long[] prev = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    prev[i] = ((Number) ids[i]).longValue();
                }
                windows.add(new Entry(rs.getLong(1), rs.getLong(2), prev));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read windows from " + windowsDir + ": " + e.getMessage(), e);
        }
        return windows;
    }
}
