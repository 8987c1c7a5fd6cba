package chanemb.llm;

import chanemb.Texts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic stand-in for an LLM summary, made only from the window in the user message:
 * the first sentence of each post, oldest first, one per line. The mock server replies with it
 * in its extractive mode, so that the summary approach can run end to end without an LLM on
 * vectors that depend on what the channel posted.
 *
 * <p>It is not a summary: it copies text and understands nothing. Figures made from it do not
 * measure the summaries of a real model.
 *
 * <p>The reply has a budget in tokens, counted with {@link TokenEstimate}. Every post gets an
 * equal share, and the budget that short sentences leave unused goes to the longer ones, so no
 * single long post crowds the others out.
 */
final class ExtractiveReply {
    // WindowPrompt escapes <, > and & in every text, so "</post>" can only close an element.
    private static final Pattern POST = Pattern.compile("<post n=\"\\d+\"(?: trimmed=\"true\")?>\n(.*?)\n</post>",
            Pattern.DOTALL);
    private static final Pattern TITLE = Pattern.compile("<title>(.*?)</title>", Pattern.DOTALL);
    private static final Pattern DESCRIPTION = Pattern.compile("<description>(.*?)</description>", Pattern.DOTALL);
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?…]+(?=\\s|$)");
    private static final Pattern LINK = Pattern.compile("https?://|t\\.me/");
    private static final String SEPARATOR = "\n";

    /** Reply text when the user message contains no post. */
    private static final String NO_POSTS = "Постов нет.";

    private ExtractiveReply() {
    }

    /** Returns the plain-text reply: first sentences of the posts, within {@code maxTokens}. */
    static String plain(String userMessage, int maxTokens) {
        List<String> sentences = firstSentences(userMessage);
        return join(sentences, maxTokens);
    }

    /**
     * Returns the four fields of a structured reply, each non-empty, within about
     * {@code maxTokens} together (the JSON syntax around them is not counted):
     * <ul>
     *   <li>style: counts of the window (posts, mean length in characters, posts with a link),
     *       about 20 tokens and never cut;
     *   <li>tone: the first sentence of the newest post, within a sixth of the budget;
     *   <li>audience: the channel's description, else its title, else the first sentence of the
     *       oldest post, within a sixth;
     *   <li>topic: the plain reply, within what is left, at least 1 token.
     * </ul>
     */
    static Map<String, String> structured(String userMessage, int maxTokens) {
        List<String> posts = posts(userMessage);
        List<String> sentences = firstSentences(userMessage);
        int sixth = Math.max(1, maxTokens / 6);

        long links = posts.stream().filter(post -> LINK.matcher(post).find()).count();
        long meanChars = Math.round(posts.stream().mapToInt(String::length).average().orElse(0));
        String style = String.format(Locale.ROOT, "Постов: %d, средняя длина %d символов, со ссылками: %d.",
                posts.size(), meanChars, links);
        String tone = cut(sentences.get(sentences.size() - 1), sixth);
        String audience = cut(firstText(group(DESCRIPTION, userMessage), group(TITLE, userMessage), sentences.get(0)),
                sixth);
        int used = TokenEstimate.INSTANCE.count(style) + TokenEstimate.INSTANCE.count(tone)
                + TokenEstimate.INSTANCE.count(audience);
        String topic = join(sentences, Math.max(1, maxTokens - used));

        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("topic", topic);
        fields.put("tone", tone);
        fields.put("audience", audience);
        fields.put("style", style);
        return fields;
    }

    /** Returns the texts of the posts in the user message, unescaped, oldest first. */
    static List<String> posts(String userMessage) {
        List<String> posts = new ArrayList<>();
        Matcher matcher = POST.matcher(userMessage);
        while (matcher.find()) {
            String text = WindowPrompt.unescape(matcher.group(1)).strip();
            if (Texts.isTextPost(text)) {
                posts.add(text);
            }
        }
        return posts;
    }

    /**
     * Returns the first sentence of a text: its first line with visible characters, up to the
     * first run of {@code .}, {@code !}, {@code ?} or {@code …} followed by a space or the end of
     * the line. Telegram posts often open with a headline line without a full stop, so a line
     * break ends a sentence too.
     */
    static String firstSentence(String text) {
        for (String line : text.split("\n")) {
            if (!Texts.isTextPost(line)) {
                continue;
            }
            String stripped = line.strip();
            Matcher end = SENTENCE_END.matcher(stripped);
            return end.find() ? stripped.substring(0, end.end()) : stripped;
        }
        return "";
    }

    /**
     * Joins sentences, one per line, after cutting each to its share of {@code maxTokens}. Shares
     * are filled from the shortest sentence up: each gets the budget left divided by the
     * sentences left, and what it does not use stays for the longer ones.
     */
    static String join(List<String> sentences, int maxTokens) {
        int separators = (sentences.size() - 1) * TokenEstimate.INSTANCE.count(SEPARATOR);
        int budget = Math.max(0, maxTokens - separators);
        int[] cost = sentences.stream().mapToInt(TokenEstimate.INSTANCE::count).toArray();
        Integer[] order = new Integer[sentences.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> cost[i]));

        int[] share = new int[sentences.size()];
        int left = budget;
        for (int rank = 0; rank < order.length; rank++) {
            int i = order[rank];
            share[i] = Math.min(cost[i], left / (order.length - rank));
            left -= share[i];
        }

        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            String piece = cut(sentences.get(i), share[i]);
            if (Texts.isTextPost(piece)) {
                pieces.add(piece);
            }
        }
        if (pieces.isEmpty()) {
            // A budget under one token per post leaves every share empty: keep the newest post.
            return cut(sentences.get(sentences.size() - 1), Math.max(1, maxTokens));
        }
        return String.join(SEPARATOR, pieces);
    }

    /** First sentences of the posts; a message without posts gives one fixed sentence. */
    private static List<String> firstSentences(String userMessage) {
        List<String> sentences = new ArrayList<>();
        for (String post : posts(userMessage)) {
            sentences.add(firstSentence(post));
        }
        return sentences.isEmpty() ? List.of(NO_POSTS) : sentences;
    }

    private static String cut(String text, int maxTokens) {
        return TokenEstimate.INSTANCE.cut(text, maxTokens).strip();
    }

    private static String group(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? WindowPrompt.unescape(matcher.group(1)).strip() : "";
    }

    private static String firstText(String... candidates) {
        for (String candidate : candidates) {
            if (Texts.isTextPost(candidate)) {
                return candidate;
            }
        }
        return NO_POSTS;
    }
}
