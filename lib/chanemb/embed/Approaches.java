package chanemb.embed;

import chanemb.ChannelProfiles;
import chanemb.Dataset;
import chanemb.Duck;
import chanemb.Json;
import chanemb.LoadTexts;
import chanemb.Texts;
import chanemb.UserException;
import chanemb.WindowsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inputs of the approaches other than pooling, and their results per ad post.
 *
 * <ul>
 *   <li>{@code profile}: the channel's title and description, the team's earlier baseline.</li>
 *   <li>{@code summary}: title, description and the LLM summary of the window.</li>
 *   <li>{@code long}: title, description and every post of the window for a long-context model;
 *       a window over the model's limit loses its oldest posts first, and if the newest post alone
 *       is still too long, the beginning of that post.</li>
 * </ul>
 *
 * Each approach writes its inputs (id, text) to a file and embeds them through a vector cache,
 * so a killed run continues where it stopped and unchanged inputs are never embedded twice.
 */
public final class Approaches {
    public static final String NO_PROFILE = "no title or description";
    public static final String NO_SUMMARY = "no summary";

    private Approaches() {
    }

    /** Texts to embed, keyed by id, and what happened to each window while building them. */
    public record Inputs(Map<Long, String> texts, Map<Long, String> reasons, Map<Long, Integer> cut, long windowsCut) {
    }

    /** Profile inputs, keyed by channel id. */
    public static Inputs profileInputs(Map<Long, ChannelProfiles.Profile> profiles) {
        Map<Long, String> texts = new LinkedHashMap<>();
        for (ChannelProfiles.Profile profile : profiles.values()) {
            String text = Layouts.profile(profile);
            if (!text.isEmpty()) {
                texts.put(profile.channelId(), text);
            }
        }
        return new Inputs(texts, Map.of(), Map.of(), 0);
    }

    /** Summary inputs, keyed by ad post id; ad posts without an "ok" summary get a reason. */
    public static Inputs summaryInputs(List<WindowsFile.Entry> windows, Map<Long, ChannelProfiles.Profile> profiles,
                                       Map<Long, String> summaries) {
        Map<Long, String> texts = new LinkedHashMap<>();
        Map<Long, String> reasons = new HashMap<>();
        for (WindowsFile.Entry window : windows) {
            String text = Layouts.summary(profiles.get(window.channelId()), summaries.get(window.adPostId()));
            if (text.isEmpty()) {
                reasons.put(window.adPostId(), NO_SUMMARY);
            } else {
                texts.put(window.adPostId(), text);
            }
        }
        return new Inputs(texts, reasons, Map.of(), 0);
    }

    /**
     * Long-context inputs, keyed by ad post id, each fitted to the model's token limit from the
     * oldest end. Window texts are joined in DuckDB and streamed, so memory holds one window at a time
     * plus the finished inputs.
     */
    public static Inputs longInputs(TextEncoder encoder, Path windowsDir, Path textsDir,
                                    Map<Long, ChannelProfiles.Profile> profiles) {
        Map<Long, String> texts = new LinkedHashMap<>();
        Map<Long, String> reasons = new HashMap<>();
        Map<Long, Integer> cut = new HashMap<>();
        long windowsCut = 0;
        String sql = "SELECT u.ad_post_id, any_value(u.channel_id), list(t.text ORDER BY u.pos)"
                + " FILTER (WHERE t.status = '" + LoadTexts.OK + "'), max(len(u.ids))"
                + " FROM (SELECT ad_post_id, channel_id, prev_post_ids AS ids, unnest(prev_post_ids) AS post_id,"
                + " generate_subscripts(prev_post_ids, 1) AS pos FROM read_parquet(" + Dataset.glob(windowsDir) + ")) u"
                + " JOIN read_parquet(" + Dataset.glob(textsDir) + ") t ON t.post_id = u.post_id"
                + " GROUP BY u.ad_post_id";
        Map<Long, Boolean> seen = new HashMap<>();
        if (!Dataset.parts(windowsDir).isEmpty() && !Dataset.parts(textsDir).isEmpty()) {
            try (Connection duck = Duck.open(); Statement statement = duck.createStatement();
                 ResultSet rs = statement.executeQuery(sql)) {
                while (rs.next()) {
                    long adPostId = rs.getLong(1);
                    seen.put(adPostId, true);
                    java.sql.Array list = rs.getArray(3);
                    List<String> posts = new ArrayList<>();
                    if (list != null) {
                        for (Object text : (Object[]) list.getArray()) {
                            posts.add((String) text);
                        }
                    }
                    Fitted fitted = fit(encoder, profiles.get(rs.getLong(2)), posts);
                    if (fitted.text().isEmpty()) {
                        reasons.put(adPostId, Embeddings.NO_TEXT);
                        continue;
                    }
                    texts.put(adPostId, fitted.text());
                    if (fitted.postsDropped() > 0 || fitted.charsCut() > 0) {
                        cut.put(adPostId, fitted.postsDropped() + (fitted.charsCut() > 0 ? 1 : 0));
                        windowsCut++;
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("Reading window texts failed: " + e.getMessage(), e);
            }
        }
        return new Inputs(texts, reasons, cut, windowsCut);
    }

    /** A window layout that fits the model: how many oldest posts were dropped and how many characters cut. */
    public record Fitted(String text, int postsKept, int postsDropped, int charsCut) {
    }

    /**
     * Fits profile and posts to the encoder's token limit (the template included): drops the
     * oldest posts until the rest fits, then, if the newest post alone is too long, cuts
     * characters from its beginning. Token counts come from the model's tokenizer.
     */
    public static Fitted fit(TextEncoder encoder, ChannelProfiles.Profile profile, List<String> posts) {
        List<String> withText = posts.stream().filter(Texts::isTextPost).toList();
        if (withText.isEmpty()) {
            return new Fitted("", 0, 0, 0);
        }
        int limit = encoder.spec().maxTokens();
        String full = Layouts.window(profile, withText);
        if (tokens(encoder, full) <= limit) {
            return new Fitted(full, withText.size(), 0, 0);
        }
        // Fewest dropped posts such that the rest fits; token counts fall as posts are dropped.
        int lo = 1;
        int hi = withText.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tokens(encoder, Layouts.window(profile, withText.subList(mid, withText.size()))) <= limit) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        int dropped = lo;
        String rest = Layouts.window(profile, withText.subList(dropped, withText.size()));
        if (dropped < withText.size() - 1 || tokens(encoder, rest) <= limit) {
            return new Fitted(rest, withText.size() - dropped, dropped, 0);
        }
        // Only the newest post is left and it is still too long: cut its beginning.
        String newest = withText.get(withText.size() - 1).strip();
        int from = 0;
        int to = newest.length() - 1;
        while (from < to) {
            int mid = (from + to) >>> 1;
            if (tokens(encoder, Layouts.window(profile, List.of(tail(newest, mid)))) <= limit) {
                to = mid;
            } else {
                from = mid + 1;
            }
        }
        String text = Layouts.window(profile, List.of(tail(newest, from)));
        return new Fitted(text, 1, withText.size() - 1, from);
    }

    /** The text from character {@code start} on, moved forward past a low surrogate so no pair is split. */
    private static String tail(String text, int start) {
        int at = start;
        if (at > 0 && at < text.length() && Character.isLowSurrogate(text.charAt(at))) {
            at++;
        }
        return text.substring(Math.min(at, text.length()));
    }

    private static int tokens(TextEncoder encoder, String layout) {
        return encoder.countTokens(List.of(encoder.spec().format(layout)))[0];
    }

    /**
     * Reads the summarize step's JSONL: the last record of each ad post wins, and gives a summary
     * when its status is "ok". An
     * unfinished last line (a run still writing, or killed) is ignored.
     */
    public static Map<Long, String> readSummaries(Path jsonl) {
        if (!Files.isRegularFile(jsonl)) {
            throw new UserException("embed.summaries-missing", jsonl);
        }
        Map<Long, String> summaries = new HashMap<>();
        Json.readLines(jsonl, "embed.summaries-invalid", record -> {
            // The last record of an ad post wins: a window summarized again after it changed
            // replaces the old summary, and a failure leaves the ad post without one.
            if ("ok".equals(record.path("status").asText()) && record.path("summary").isTextual()) {
                summaries.put(record.path("ad_post_id").asLong(), Texts.repair(record.path("summary").asText(), null));
            } else {
                summaries.remove(record.path("ad_post_id").asLong());
            }
        });
        return summaries;
    }

    /**
     * Embeds the inputs through the vector cache of {@code kind}, and returns the vectors by id
     * with their token counts and truncation flags.
     */
    public static Map<Long, PostVectors.Entry> embed(TextEncoder encoder, Inputs inputs, Path inputsDir, Path cacheDir,
                                                     int maxBatchTokens, String task, PostVectors.Stats[] stats) {
        PostVectors.writeInputs(inputsDir, inputs.texts());
        stats[0] = PostVectors.updateFrom(encoder, PostVectors.fileInputs(inputsDir), cacheDir, maxBatchTokens, 512,
                10_000, task);
        Map<Long, PostVectors.Entry> vectors = new HashMap<>();
        PostVectors.forEachFrom(PostVectors.fileInputs(inputsDir), cacheDir, entry -> vectors.put(entry.postId(), entry));
        return vectors;
    }
}
