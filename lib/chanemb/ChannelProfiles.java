package chanemb;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Channel titles and descriptions from the channels table, repaired like post texts. */
public final class ChannelProfiles {
    private ChannelProfiles() {
    }

    /** A channel's title and description ("about"); either may be null. */
    public record Profile(long channelId, String title, String about) {
        /** True when neither title nor description has a visible character. */
        public boolean isEmpty() {
            return !Texts.isTextPost(title) && !Texts.isTextPost(about);
        }
    }

    /** Reads the profiles of the given channels; channels missing from the table are left out. */
    public static Map<Long, Profile> read(Database db, SourceSchema s, Set<Long> channelIds) {
        Map<Long, Profile> profiles = new HashMap<>();
        if (channelIds.isEmpty() || !db.tableExists(s.channels())) {
            return profiles;
        }
        String sql = "SELECT " + s.channelId() + "::int8, " + s.channelTitle() + ", " + s.channelAbout() + " FROM "
                + s.channels().sql() + " WHERE " + s.channelId() + " = ANY(?)";
        try (Connection connection = db.connect(); PreparedStatement query = connection.prepareStatement(sql)) {
            Array ids = connection.createArrayOf("bigint", channelIds.toArray());
            query.setArray(1, ids);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    profiles.put(id, new Profile(id, Texts.repair(rs.getString(2), null), Texts.repair(rs.getString(3), null)));
                }
            }
        } catch (SQLException e) {
            throw new UserException(e, "channels.query-failed", s.channels(), e.getMessage());
        }
        return profiles;
    }

    /** SHA-256 over the profiles in channel order, so a run can tell that a title or description changed. */
    public static String hash(Map<Long, Profile> profiles) {
        StringBuilder text = new StringBuilder();
        new java.util.TreeMap<>(profiles).forEach((id, profile) -> text.append(id).append('\u0001')
                .append(profile.title()).append('\u0001').append(profile.about()).append('\u0002'));
        return Dataset.sha256(text.toString());
    }
}
