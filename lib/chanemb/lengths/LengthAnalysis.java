package chanemb.lengths;

import chanemb.ChannelProfiles;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.PartWriter;
import chanemb.WindowsFile;
import chanemb.embed.Approaches;
import chanemb.embed.Layouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.duckdb.DuckDBAppender;

/**
 * The analyze_lengths step: how long the inputs of summarize and embed are in characters, words
 * and tokens, under the real tokenizers, with nothing cut.
 *
 * <p>Writes into the output folder:
 * <ul>
 *   <li>{@code posts/}: one row per previous post with text (see {@link PostPass});</li>
 *   <li>{@code windows/}: one row per ad post (see {@link WindowPass});</li>
 *   <li>{@code channels/}: one row per channel with a title or description, the profile input;</li>
 *   <li>{@code report.md} with PNG histograms, and the same tables as CSV (see {@link LengthReport}).</li>
 * </ul>
 * The three folders are step outputs with manifests. A rerun with the same inputs and settings
 * reuses complete ones and continues partial ones.
 */
public final class LengthAnalysis {
    public static final String STEP = "analyze_lengths";

    /** Version of the output layout; part of every output's parameters. */
    static final int FORMAT_VERSION = 1;

    private LengthAnalysis() {
    }

    /**
     * Inputs and settings of a run.
     *
     * @param summariesFile summarize's JSONL for the summary approach's inputs, or null to skip them
     * @param checkWindows  windows whose token counts are made both directly and from per-post
     *                      counts, to check that the two agree (see {@link WindowPass})
     * @param command       the command line shown in the report, without secrets
     */
    public record Options(Path windowsDir, Path textsDir, Path summariesFile, Path outputDir, int checkWindows,
                          String command) {
    }

    /** Counts of a run and where its report is. */
    public record Result(long adPosts, long windowsWithText, long posts, long postsCounted, long windowsCounted,
                         long channels, long summaries, Map<String, String> windowCounts, Path report, double seconds) {
    }

    /**
     * Runs the step.
     *
     * @param profiles channel titles and descriptions by channel id; empty when left out
     */
    public static Result run(Options options, Counting counting, Map<Long, ChannelProfiles.Profile> profiles) {
        long start = System.nanoTime();
        Dataset.Manifest windowsManifest = Dataset.require(options.windowsDir(), "find_prev_posts");
        Dataset.Manifest textsManifest = Dataset.require(options.textsDir(), "load_texts");
        List<WindowsFile.Entry> windows = WindowsFile.read(options.windowsDir());
        Map<Long, String> summaries = options.summariesFile() == null ? Map.of()
                : Approaches.readSummaries(options.summariesFile());
        Log.info("analyze_lengths.start", windows.size(), counting.llm().counter().id(), modelNames(counting),
                profiles.size(), summaries.size());

        // 1. Every previous post, once: the expensive part, reused by reruns.
        Map<String, Object> postParams = postParams(counting, windowsManifest, textsManifest);
        Path postsDir = options.outputDir().resolve("posts");
        PostPass.Result posts = PostPass.run(postsDir, options.textsDir(), options.windowsDir(), counting, postParams);

        // 2. Every window: the prompt, the request and the embedding inputs built from it.
        Map<String, Object> windowParams = new LinkedHashMap<>(postParams);
        windowParams.put("posts", Dataset.require(postsDir, STEP).contentHash());
        windowParams.put("system_prompt", Dataset.sha256(counting.llm().systemPrompt()));
        windowParams.put("profiles", profilesHash(profiles));
        windowParams.put("summaries", options.summariesFile() == null ? null : Dataset.sha256(options.summariesFile()));
        windowParams.put("check_windows", options.checkWindows());
        WindowPass.Result windowResult = new WindowPass(counting, profiles, summaries, options.checkWindows())
                .run(options.outputDir().resolve("windows"), options.windowsDir(), options.textsDir(), postsDir, windows,
                        windowParams);

        // 3. Every channel's profile input.
        long channels = writeChannels(options.outputDir().resolve("channels"), counting, profiles, postParams);

        // 4. Tables, histograms and the report.
        Path report = LengthReport.write(options.outputDir(), counting, options.windowsDir(), new LengthReport.Context(
                windowResult.modes(), options.checkWindows(), summaries.size(), options.command()));
        return new Result(windows.size(), windowResult.withText(), posts.posts(), posts.counted(),
                windowResult.counted(), channels, summaries.size(), windowResult.modes(), report,
                (System.nanoTime() - start) / 1e9);
    }

    private static Map<String, Object> postParams(Counting counting, Dataset.Manifest windows, Dataset.Manifest texts) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("format_version", FORMAT_VERSION);
        params.put("windows", windows.contentHash());
        params.put("texts", texts.contentHash());
        params.put("llm_counter", counting.llm().counter().id());
        List<Map<String, Object>> models = new ArrayList<>();
        for (Counting.Model model : counting.models()) {
            Map<String, Object> described = new LinkedHashMap<>();
            described.put("name", model.name());
            described.put("model", model.spec().id());
            described.put("tokenizer", model.counter().id());
            described.put("template_hash", model.spec().templateHash());
            described.put("max_tokens", model.spec().maxTokens());
            models.add(described);
        }
        params.put("models", models);
        return params;
    }

    /** Writes the profile input of every channel with a title or description; returns how many. */
    private static long writeChannels(Path out, Counting counting, Map<Long, ChannelProfiles.Profile> profiles,
                                      Map<String, Object> params) {
        Map<Long, String> inputs = new TreeMap<>();
        profiles.forEach((id, profile) -> {
            String text = Layouts.profile(profile);
            if (!text.isEmpty()) {
                inputs.put(id, text);
            }
        });
        List<Long> ids = new ArrayList<>(inputs.keySet());
        List<String> texts = new ArrayList<>(inputs.values());
        int[][] tokens = new int[counting.models().size()][];
        for (int m = 0; m < tokens.length; m++) {
            tokens[m] = counting.models().get(m).countFormatted(texts);
        }
        StringBuilder columns = new StringBuilder("channel_id BIGINT, chars INTEGER, words INTEGER");
        for (Counting.Model model : counting.models()) {
            columns.append(", ").append(model.column("tokens")).append(" INTEGER");
        }
        Dataset.clear(out);
        try (PartWriter writer = new PartWriter(out, columns.toString(), 0, 1_000_000)) {
            for (int i = 0; i < ids.size(); i++) {
                DuckDBAppender row = writer.row();
                row.append(ids.get(i));
                row.append(TextStats.chars(texts.get(i)));
                row.append(TextStats.words(texts.get(i)));
                for (int[] modelTokens : tokens) {
                    row.append(modelTokens[i]);
                }
                writer.endRow();
            }
            Map<String, Object> channelParams = new LinkedHashMap<>(params);
            channelParams.put("profiles", profilesHash(profiles));
            Dataset.complete(out, STEP, writer.finish(), channelParams, Map.of(), Map.of("channels", ids.size()));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot write " + out + ": " + e.getMessage(), e);
        }
        return ids.size();
    }

    /** Hash of every title and description, in channel order, so changed profiles make new window counts. */
    private static String profilesHash(Map<Long, ChannelProfiles.Profile> profiles) {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(profiles).forEach((id, profile) -> text.append(id).append('\u0000').append(profile.title())
                .append('\u0000').append(profile.about()).append('\u0001'));
        return Dataset.sha256(text.toString());
    }

    /** Names the LLM's counter in logs and reports: "LLM (estimate)" or "LLM (tokenizer:…)". */
    public static String llmName(Counting counting) {
        return LengthReport.llmName(counting);
    }

    private static String modelNames(Counting counting) {
        return String.join(", ", counting.models().stream().map(Counting.Model::name).toList());
    }

    /** Returns {@code file} when it exists, else null: a default input that may not be there yet. */
    public static Path ifExists(Path file) {
        return Files.isRegularFile(file) ? file : null;
    }
}
