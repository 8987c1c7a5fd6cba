package chanemb;

/**
 * The configured names of the source tables and columns, validated and ready to quote.
 * Defaults match the team's database: parse.posts_metadata, parse.posts_content,
 * parse.channels and ml_house.final_basis_with_metrics_v2. The post label column (a topic
 * label such as the telegram-news "category") is optional: it is filled when it exists.
 */
public record SourceSchema(
        Sql.Table posts, String postId, String postChannelId, String postMessageId, String postGroupId, String postDate,
        String postLabel,
        Sql.Table content, String contentId, String contentText,
        Sql.Table channels, String channelId, String channelName, String channelTitle, String channelAbout,
        String channelParticipants, String channelLastPinned,
        Sql.Table ads, String adId, String adChannelId, String adDate) {

    public static SourceSchema from(Config config) {
        return new SourceSchema(
                table(config, "source.posts.table"),
                column(config, "source.posts.id"),
                column(config, "source.posts.channel-id"),
                column(config, "source.posts.post-id"),
                column(config, "source.posts.group-id"),
                column(config, "source.posts.date"),
                column(config, "source.posts.label"),
                table(config, "source.content.table"),
                column(config, "source.content.id"),
                column(config, "source.content.text"),
                table(config, "source.channels.table"),
                column(config, "source.channels.id"),
                column(config, "source.channels.name"),
                column(config, "source.channels.title"),
                column(config, "source.channels.about"),
                column(config, "source.channels.participants"),
                column(config, "source.channels.last-pinned"),
                table(config, "source.ads.table"),
                column(config, "source.ads.id"),
                column(config, "source.ads.channel-id"),
                column(config, "source.ads.date"));
    }

    private static Sql.Table table(Config config, String key) {
        return Sql.table(config.get(key), key);
    }

    private static String column(Config config, String key) {
        return Sql.quote(Sql.identifier(config.get(key), key));
    }
}
