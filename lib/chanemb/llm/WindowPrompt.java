package chanemb.llm;

import java.util.BitSet;
import java.util.List;

/**
 * The user message of the summarization prompt: a window of previous posts, and the channel's
 * title and description, in the exact text the model sees.
 *
 * <p>Each post is wrapped in a {@code <post n="…">} element, oldest first, and every
 * {@code &}, {@code <} and {@code >} inside a text is written as {@code &amp;}, {@code &lt;} and
 * {@code &gt;}. A post therefore cannot close its element or open another one, whatever it
 * contains ({@code </post>}, {@code ===}, a line of dashes or an instruction to the model): the
 * structure always holds exactly the posts given, and the original texts can be read back by
 * undoing the three replacements. The system prompt tells the model that text inside the
 * elements is data, not instructions.
 *
 * <pre>{@code
 * <channel>
 * <title>Скидки дня</title>
 * <description>Лучшие предложения</description>
 * </channel>
 * <posts>
 * <post n="1">
 * Текст самого старого поста
 * </post>
 * <post n="2" trimmed="true">
 * Начало длинного поста, конец которого отрезан
 * </post>
 * </posts>
 * }</pre>
 */
public final class WindowPrompt {
    /**
     * Version of this layout. It is part of every prompt hash, so summaries made with another
     * layout are never mixed with these.
     */
    public static final int FORMAT_VERSION = 1;

    private WindowPrompt() {
    }

    /** A channel's title and description, either of which may be null or empty. */
    public record Channel(String title, String about) {
        public static final Channel NONE = new Channel(null, null);
    }

    /**
     * Formats a window with every post whole. This is the text that summarize sends when no
     * post had to be trimmed or dropped.
     *
     * @param posts texts of the previous posts, oldest first
     */
    public static String format(Channel channel, List<String> posts) {
        return format(channel, posts, new BitSet());
    }

    /**
     * Formats a window; posts whose index is set in {@code trimmed} are marked as cut short.
     *
     * @param posts texts of the previous posts, oldest first
     */
    public static String format(Channel channel, List<String> posts, BitSet trimmed) {
        StringBuilder out = new StringBuilder(64 + posts.stream().mapToInt(p -> p.length() + 32).sum());
        boolean hasTitle = hasText(channel.title());
        boolean hasAbout = hasText(channel.about());
        if (hasTitle || hasAbout) {
            out.append("<channel>\n");
            if (hasTitle) {
                out.append("<title>");
                escape(channel.title().strip(), out);
                out.append("</title>\n");
            }
            if (hasAbout) {
                out.append("<description>");
                escape(channel.about().strip(), out);
                out.append("</description>\n");
            }
            out.append("</channel>\n");
        }
        out.append("<posts>\n");
        for (int i = 0; i < posts.size(); i++) {
            out.append("<post n=\"").append(i + 1).append('"');
            if (trimmed.get(i)) {
                out.append(" trimmed=\"true\"");
            }
            out.append(">\n");
            escape(posts.get(i).strip(), out);
            out.append("\n</post>\n");
        }
        out.append("</posts>");
        return out.toString();
    }

    /** Characters added around a post's escaped text: the opening and closing lines. */
    public static String postWrapper(int n, boolean trimmed) {
        return "<post n=\"" + n + "\"" + (trimmed ? " trimmed=\"true\"" : "") + ">\n\n</post>\n";
    }

    /** Writes a text with {@code &}, {@code <} and {@code >} replaced by their entities. */
    public static void escape(String text, StringBuilder out) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                default -> out.append(c);
            }
        }
    }

    /** Undoes {@link #escape}; for tests and for reading a prompt back. */
    public static String unescape(String text) {
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    private static boolean hasText(String text) {
        return text != null && !text.isBlank();
    }
}
