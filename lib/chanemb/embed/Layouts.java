package chanemb.embed;

import chanemb.ChannelProfiles;
import chanemb.Texts;
import java.util.List;

/**
 * The fixed labelled layouts the approaches embed. Labels are Russian, like the posts:
 *
 * <pre>
 * Канал: {title}
 * Описание: {about}
 * Сводка: {summary}        (summary approach)
 * Посты:                   (long approach, oldest first, one blank line between posts)
 * {post}
 * </pre>
 *
 * A line whose value is missing or invisible is left out.
 */
public final class Layouts {
    public static final String TITLE = "Канал: ";
    public static final String ABOUT = "Описание: ";
    public static final String SUMMARY = "Сводка: ";
    public static final String POSTS = "Посты:";
    public static final String POST_SEPARATOR = "\n\n";

    private Layouts() {
    }

    /** Title and description; "" when the channel has neither. */
    public static String profile(ChannelProfiles.Profile profile) {
        if (profile == null) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        line(text, TITLE, profile.title());
        line(text, ABOUT, profile.about());
        return text.toString().strip();
    }

    /** Profile and summary; "" when the summary is missing or blank. */
    public static String summary(ChannelProfiles.Profile profile, String summary) {
        if (!Texts.isTextPost(summary)) {
            return "";
        }
        StringBuilder text = new StringBuilder(profile(profile));
        if (text.length() > 0) {
            text.append('\n');
        }
        text.append(SUMMARY).append(summary.strip());
        return text.toString();
    }

    /** Profile and posts, oldest first; posts without text are skipped. "" when nothing is left. */
    public static String window(ChannelProfiles.Profile profile, List<String> posts) {
        StringBuilder body = new StringBuilder();
        for (String post : posts) {
            if (Texts.isTextPost(post)) {
                if (body.length() > 0) {
                    body.append(POST_SEPARATOR);
                }
                body.append(post.strip());
            }
        }
        if (body.length() == 0) {
            return "";
        }
        String head = profile(profile);
        return (head.isEmpty() ? "" : head + "\n") + POSTS + "\n" + body;
    }

    private static void line(StringBuilder text, String label, String value) {
        if (Texts.isTextPost(value)) {
            text.append(label).append(value.strip().replace('\n', ' ')).append('\n');
        }
    }
}
