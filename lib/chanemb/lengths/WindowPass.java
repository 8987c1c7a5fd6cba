package chanemb.lengths;

import chanemb.ChannelProfiles;
import chanemb.Dataset;
import chanemb.Duck;
import chanemb.LoadTexts;
import chanemb.Log;
import chanemb.PartWriter;
import chanemb.Progress;
import chanemb.Texts;
import chanemb.WindowsFile;
import chanemb.embed.Layouts;
import chanemb.llm.WindowPacker;
import chanemb.llm.WindowPrompt;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.duckdb.DuckDBAppender;

/**
 * Writes the per-window output: for every ad post, its window as the summarization prompt's
 * user message, the whole request with the system prompt, and the embedding inputs of the long
 * and summary approaches.
 *
 * <p>Characters and words are always counted on the texts. Token counts of windows and long
 * inputs are counted directly for the first {@code checkWindows} windows, and also computed from
 * the per-post counts: fixed parts (the channel header, each post's wrapper, the model's
 * template) plus the counts of the posts. Tokenizers that split text at whitespace before
 * anything else (BERT's WordPiece, XLM-R's SentencePiece) give the same figure both ways. When
 * the two agree on every checked window, the rest of the windows use the computed figure, which
 * needs no tokenizing; when they differ once, that tokenizer counts every window directly. The
 * output's manifest records which way each tokenizer went.
 */
final class WindowPass {
    /** Windows counted together. */
    static final int CHUNK = 256;
    static final int ROWS_PER_PART = 100_000;

    private final Counting counting;
    private final Map<Long, ChannelProfiles.Profile> profiles;
    private final Map<Long, String> summaries;
    private final int checkWindows;
    private final String systemPrompt;
    private final int systemChars;
    private final int systemWords;

    /** How each tokenizer's window counts are made; index 0 is the LLM, 1 + m embedding model m. */
    private final Mode[] modes;
    private final long[] mismatches;
    private final String[] firstMismatch;
    private long checked;

    // Fixed parts, counted once: by channel id, and the LLM wrapper of post n at index n.
    private final Map<Long, Integer> llmHeaders = new HashMap<>();
    private final List<Map<Long, Integer>> longHeaders = new ArrayList<>();
    private final List<Integer> wrappers = new ArrayList<>();

    /** How the token counts of windows and long inputs are made for one tokenizer. */
    enum Mode {
        /** Both ways, to compare them. */
        CHECKING,
        /** From per-post counts: they agreed on every checked window. */
        COMPUTED,
        /** By tokenizing every window. */
        DIRECT
    }

    /** Counts of a finished pass, and how each tokenizer counted windows. */
    record Result(long adPosts, long withText, long counted, long checked, Map<String, String> modes, double seconds) {
    }

    WindowPass(Counting counting, Map<Long, ChannelProfiles.Profile> profiles, Map<Long, String> summaries,
               int checkWindows) {
        this.counting = counting;
        this.profiles = profiles;
        this.summaries = summaries;
        this.checkWindows = checkWindows;
        this.systemPrompt = counting.llm().systemPrompt();
        this.systemChars = TextStats.chars(systemPrompt);
        this.systemWords = TextStats.words(systemPrompt);
        int tokenizers = 1 + counting.models().size();
        modes = new Mode[tokenizers];
        mismatches = new long[tokenizers];
        firstMismatch = new String[tokenizers];
        // The estimate is a cheap function of the characters: it is always applied to the whole text.
        modes[0] = counting.llm().counter().isEstimate() ? Mode.DIRECT : Mode.CHECKING;
        for (int m = 1; m < tokenizers; m++) {
            modes[m] = Mode.CHECKING;
            longHeaders.add(new HashMap<>());
        }
    }

    static String columns(Counting counting) {
        StringBuilder columns = new StringBuilder("ad_post_id BIGINT, channel_id BIGINT, posts INTEGER, chars INTEGER,"
                + " words INTEGER, llm_tokens INTEGER, request_chars INTEGER, request_words INTEGER,"
                + " request_tokens INTEGER, long_chars INTEGER, long_words INTEGER");
        for (Counting.Model model : counting.models()) {
            columns.append(", ").append(model.column("long_tokens")).append(" INTEGER");
        }
        columns.append(", summary_chars INTEGER, summary_words INTEGER");
        for (Counting.Model model : counting.models()) {
            columns.append(", ").append(model.column("summary_tokens")).append(" INTEGER");
        }
        return columns.toString();
    }

    /** One window being measured: its posts with text, and their per-post counts. */
    private static final class Window {
        final WindowsFile.Entry entry;
        final List<String> texts = new ArrayList<>();
        final List<Integer> llmTokens = new ArrayList<>();
        final List<int[]> modelTokens = new ArrayList<>();
        String prompt;
        String longInput;
        String summaryInput;
        int llm;
        int[] longTokens;
        int[] summaryTokens;

        Window(WindowsFile.Entry entry) {
            this.entry = entry;
        }
    }

    Result run(Path out, Path windowsDir, Path textsDir, Path postsDir, List<WindowsFile.Entry> windows,
               Map<String, Object> params) {
        long start = System.nanoTime();
        PartialOutput.State state = PartialOutput.prepare(out, params);
        if (state == PartialOutput.State.COMPLETE) {
            Dataset.Manifest manifest = Dataset.require(out, LengthAnalysis.STEP);
            return new Result(manifest.rows(), ((Number) manifest.counts().get("with_text")).longValue(), 0, 0,
                    modesOf(manifest), seconds(start));
        }
        Set<Long> done = doneAdPosts(out);
        List<WindowsFile.Entry> todo = windows.stream().filter(w -> !done.contains(w.adPostId())).toList();
        Log.info("analyze_lengths.windows-start", todo.size(), done.size(), checkWindows);

        long counted = 0;
        String sql = "SELECT u.ad_post_id, t.text, p.llm_tokens" + modelColumns("p.") + " FROM (SELECT ad_post_id,"
                + " unnest(prev_post_ids) AS post_id, generate_subscripts(prev_post_ids, 1) AS pos FROM read_parquet("
                + Dataset.glob(windowsDir) + ")" + (done.isEmpty() ? "" : " WHERE ad_post_id NOT IN (SELECT ad_post_id"
                + " FROM read_parquet(" + Dataset.glob(out) + "))") + ") u"
                + " JOIN read_parquet(" + Dataset.glob(textsDir) + ") t ON t.post_id = u.post_id AND t.status = '"
                + LoadTexts.OK + "' JOIN read_parquet(" + Dataset.glob(postsDir) + ") p ON p.post_id = u.post_id"
                + " ORDER BY u.ad_post_id, u.pos";
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             Progress progress = Progress.start(LengthAnalysis.STEP, "windows", todo.size());
             PartWriter writer = new PartWriter(out, columns(counting), Dataset.nextPartIndex(out), ROWS_PER_PART)) {
            ResultSet rs = todo.isEmpty() || Dataset.parts(textsDir).isEmpty() ? null : statement.executeQuery(sql);
            boolean more = rs != null && rs.next();
            List<Window> chunk = new ArrayList<>(CHUNK);
            for (WindowsFile.Entry entry : todo) {
                Window window = new Window(entry);
                while (more && rs.getLong(1) == entry.adPostId()) {
                    String text = rs.getString(2);
                    if (Texts.isTextPost(text)) {
                        window.texts.add(text);
                        window.llmTokens.add(rs.getInt(3));
                        int[] tokens = new int[counting.models().size()];
                        for (int m = 0; m < tokens.length; m++) {
                            tokens[m] = rs.getInt(4 + m);
                        }
                        window.modelTokens.add(tokens);
                    }
                    more = rs.next();
                }
                chunk.add(window);
                if (chunk.size() == CHUNK) {
                    counted += measure(chunk, writer);
                    progress.advance(chunk.size());
                    chunk.clear();
                }
            }
            counted += measure(chunk, writer);
            progress.advance(chunk.size());
            if (rs != null) {
                rs.close();
            }
            writer.finish();
        } catch (SQLException e) {
            throw new IllegalStateException("Measuring the windows of " + windowsDir + " failed: " + e.getMessage(), e);
        }

        List<Dataset.Part> parts = Dataset.describeParts(out);
        long withText = withText(out);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("ad_posts", parts.stream().mapToLong(Dataset.Part::rows).sum());
        counts.put("with_text", withText);
        counts.put("windows_checked", checked);
        counts.put("window_counts", modeNames());
        Dataset.complete(out, LengthAnalysis.STEP, parts, params, Map.of(), counts);
        return new Result((Long) counts.get("ad_posts"), withText, counted, checked, modeNames(), seconds(start));
    }

    /** Measures a chunk of windows and writes one row each; returns the number with text. */
    private long measure(List<Window> chunk, PartWriter writer) throws SQLException {
        List<Window> withText = new ArrayList<>();
        for (Window window : chunk) {
            if (!window.texts.isEmpty()) {
                ChannelProfiles.Profile profile = profiles.get(window.entry.channelId());
                window.prompt = WindowPrompt.format(channel(profile), window.texts);
                window.longInput = Layouts.window(profile, window.texts);
                withText.add(window);
            }
            String summary = summaries.get(window.entry.adPostId());
            if (summary != null) {
                String input = Layouts.summary(profiles.get(window.entry.channelId()), summary);
                window.summaryInput = input.isEmpty() ? null : input;
            }
        }
        countFixedParts(withText);
        countWindows(withText);
        countSummaries(chunk);
        for (Window window : chunk) {
            write(writer, window);
        }
        return withText.size();
    }

    /** Counts the LLM and long-input token counts of windows with text, both ways while checking. */
    private void countWindows(List<Window> windows) {
        if (windows.isEmpty()) {
            return;
        }
        int models = counting.models().size();
        int[] direct = modes[0] == Mode.COMPUTED ? null
                : counting.llm().counter().count(windows.stream().map(w -> w.prompt).toList());
        int[][] directLong = new int[models][];
        for (int m = 0; m < models; m++) {
            if (modes[1 + m] != Mode.COMPUTED) {
                directLong[m] = counting.models().get(m).countFormatted(windows.stream().map(w -> w.longInput).toList());
            }
        }
        boolean checking = checked < checkWindows;
        for (int i = 0; i < windows.size(); i++) {
            Window window = windows.get(i);
            window.longTokens = new int[models];
            int computed = modes[0] == Mode.DIRECT ? 0 : computedPrompt(window);
            window.llm = direct != null ? direct[i] : computed;
            if (modes[0] == Mode.CHECKING) {
                compare(0, window, direct[i], computed);
            }
            for (int m = 0; m < models; m++) {
                int computedLong = modes[1 + m] == Mode.DIRECT ? 0 : computedLong(window, m);
                window.longTokens[m] = directLong[m] != null ? directLong[m][i] : computedLong;
                if (modes[1 + m] == Mode.CHECKING) {
                    compare(1 + m, window, directLong[m][i], computedLong);
                }
            }
        }
        if (checking) {
            checked += windows.size();
            if (checked >= checkWindows) {
                decide();
            }
        }
    }

    private void compare(int tokenizer, Window window, int direct, int computed) {
        if (direct != computed) {
            mismatches[tokenizer]++;
            if (firstMismatch[tokenizer] == null) {
                firstMismatch[tokenizer] = "ad post " + window.entry.adPostId() + ": " + direct + " counted, "
                        + computed + " from per-post counts";
                modes[tokenizer] = Mode.DIRECT;
                Log.info("analyze_lengths.counting-directly", tokenizerName(tokenizer), firstMismatch[tokenizer]);
            }
        }
    }

    /** Ends the check: tokenizers that agreed on every checked window compute the rest. */
    private void decide() {
        for (int t = 0; t < modes.length; t++) {
            if (modes[t] == Mode.CHECKING) {
                modes[t] = Mode.COMPUTED;
                Log.info("analyze_lengths.computing", tokenizerName(t), checked);
            }
        }
    }

    /** The user message's tokens from its parts: header, each post's wrapper and the post's own count. */
    private int computedPrompt(Window window) {
        int tokens = llmHeaders.get(window.entry.channelId());
        for (int i = 0; i < window.texts.size(); i++) {
            tokens += wrappers.get(i + 1) + window.llmTokens.get(i);
        }
        return tokens;
    }

    /** The long input's tokens from its parts: the header with the template, plus each post without the template. */
    private int computedLong(Window window, int model) {
        int tokens = longHeaders.get(model).get(window.entry.channelId());
        int template = counting.models().get(model).templateTokens();
        for (int[] post : window.modelTokens) {
            tokens += post[model] - template;
        }
        return tokens;
    }

    /** Counts the headers of channels not seen yet and the wrappers of post numbers not seen yet. */
    private void countFixedParts(List<Window> windows) {
        if (modes[0] != Mode.DIRECT) {
            int most = windows.stream().mapToInt(w -> w.texts.size()).max().orElse(0);
            List<String> missing = new ArrayList<>();
            for (int n = wrappers.size(); n <= most; n++) {
                missing.add(n == 0 ? "" : WindowPrompt.postWrapper(n, false));
            }
            if (!missing.isEmpty()) {
                for (int count : counting.llm().counter().count(missing)) {
                    wrappers.add(count);
                }
            }
            countHeaders(windows, llmHeaders, profile -> WindowPrompt.format(channel(profile), List.of()),
                    texts -> counting.llm().counter().count(texts));
        }
        for (int m = 0; m < counting.models().size(); m++) {
            if (modes[1 + m] != Mode.DIRECT) {
                Counting.Model model = counting.models().get(m);
                countHeaders(windows, longHeaders.get(m), WindowPass::longHeader, model::countFormatted);
            }
        }
    }

    private void countHeaders(List<Window> windows, Map<Long, Integer> cache,
                              java.util.function.Function<ChannelProfiles.Profile, String> header,
                              java.util.function.Function<List<String>, int[]> counter) {
        List<Long> channels = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (Window window : windows) {
            long channel = window.entry.channelId();
            if (!cache.containsKey(channel) && !channels.contains(channel)) {
                channels.add(channel);
                texts.add(header.apply(profiles.get(channel)));
            }
        }
        if (!texts.isEmpty()) {
            int[] counts = counter.apply(texts);
            for (int i = 0; i < counts.length; i++) {
                cache.put(channels.get(i), counts[i]);
            }
        }
    }

    /**
     * The long layout without posts: the channel's title and description, then the label of the
     * posts, as {@link Layouts#window} starts.
     */
    static String longHeader(ChannelProfiles.Profile profile) {
        String head = Layouts.profile(profile);
        return (head.isEmpty() ? "" : head + "\n") + Layouts.POSTS;
    }

    private void countSummaries(List<Window> chunk) {
        List<Window> withSummary = chunk.stream().filter(w -> w.summaryInput != null).toList();
        for (Window window : withSummary) {
            window.summaryTokens = new int[counting.models().size()];
        }
        if (withSummary.isEmpty()) {
            return;
        }
        List<String> inputs = withSummary.stream().map(w -> w.summaryInput).toList();
        for (int m = 0; m < counting.models().size(); m++) {
            int[] counts = counting.models().get(m).countFormatted(inputs);
            for (int i = 0; i < counts.length; i++) {
                withSummary.get(i).summaryTokens[m] = counts[i];
            }
        }
    }

    private void write(PartWriter writer, Window window) throws SQLException {
        DuckDBAppender row = writer.row();
        row.append(window.entry.adPostId());
        row.append(window.entry.channelId());
        row.append(window.texts.size());
        if (window.prompt == null) {
            for (int c = 0; c < 8 + counting.models().size(); c++) {
                row.appendNull();
            }
        } else {
            row.append(TextStats.chars(window.prompt));
            row.append(TextStats.words(window.prompt));
            row.append(window.llm);
            row.append(systemChars + TextStats.chars(window.prompt));
            row.append(systemWords + TextStats.words(window.prompt));
            row.append(requestTokens(counting.llm().systemTokens(), window.llm));
            row.append(TextStats.chars(window.longInput));
            row.append(TextStats.words(window.longInput));
            for (int tokens : window.longTokens) {
                row.append(tokens);
            }
        }
        if (window.summaryInput == null) {
            for (int c = 0; c < 2 + counting.models().size(); c++) {
                row.appendNull();
            }
        } else {
            row.append(TextStats.chars(window.summaryInput));
            row.append(TextStats.words(window.summaryInput));
            for (int tokens : window.summaryTokens) {
                row.append(tokens);
            }
        }
        writer.endRow();
    }

    /**
     * Tokens of a whole request as summarize's packer counts them: the system message, the user
     * message and the chat template's fixed overhead for each of the two messages.
     */
    static int requestTokens(int systemTokens, int userTokens) {
        return systemTokens + userTokens + 2 * WindowPacker.MESSAGE_OVERHEAD;
    }

    private static WindowPrompt.Channel channel(ChannelProfiles.Profile profile) {
        return profile == null ? WindowPrompt.Channel.NONE : new WindowPrompt.Channel(profile.title(), profile.about());
    }

    private String modelColumns(String alias) {
        StringBuilder columns = new StringBuilder();
        for (Counting.Model model : counting.models()) {
            columns.append(", ").append(alias).append(model.column("tokens"));
        }
        return columns.toString();
    }

    private String tokenizerName(int tokenizer) {
        return tokenizer == 0 ? LengthReport.llmName(counting) : counting.models().get(tokenizer - 1).name();
    }

    /** How each tokenizer counted windows, by name, with the first disagreement when there was one. */
    private Map<String, String> modeNames() {
        Map<String, String> names = new LinkedHashMap<>();
        for (int t = 0; t < modes.length; t++) {
            String mode;
            if (firstMismatch[t] != null) {
                mode = "direct: " + firstMismatch[t];
            } else if (modes[t] == Mode.COMPUTED) {
                mode = "computed from per-post counts, equal to direct counts on " + checked + " windows";
            } else {
                mode = "direct";
            }
            names.put(tokenizerName(t), mode);
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> modesOf(Dataset.Manifest manifest) {
        Object modes = manifest.counts().get("window_counts");
        return modes instanceof Map<?, ?> map ? (Map<String, String>) map : Map.of();
    }

    private static Set<Long> doneAdPosts(Path out) {
        Set<Long> done = new HashSet<>();
        if (Dataset.parts(out).isEmpty()) {
            return done;
        }
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT ad_post_id FROM read_parquet(" + Dataset.glob(out) + ")")) {
            while (rs.next()) {
                done.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read " + out + ": " + e.getMessage(), e);
        }
        return done;
    }

    private static long withText(Path out) {
        try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
             ResultSet rs = statement.executeQuery("SELECT count(*) FROM read_parquet(" + Dataset.glob(out)
                     + ") WHERE posts > 0")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read " + out + ": " + e.getMessage(), e);
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
