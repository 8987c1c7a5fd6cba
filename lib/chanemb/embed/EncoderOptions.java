package chanemb.embed;

import chanemb.Config;
import chanemb.UserException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options choosing the encoder of a run; mixed into the scripts that embed. */
public class EncoderOptions {
    @Option(names = "--model", paramLabel = "DIR", descriptionKey = "encoder.model")
    Path modelDir;

    @Option(names = "--max-batch-tokens", defaultValue = "8192", paramLabel = "N", descriptionKey = "encoder.max-batch-tokens")
    int maxBatchTokens;

    @Option(names = "--parallel-batches", defaultValue = "0", paramLabel = "N", descriptionKey = "encoder.parallel-batches")
    int parallelBatches;

    @Option(names = "--threads-per-batch", defaultValue = "0", paramLabel = "N", descriptionKey = "encoder.threads-per-batch")
    int threadsPerBatch;

    @Option(names = "--remote", paramLabel = "URL", descriptionKey = "encoder.remote")
    String remoteUrl;

    @Option(names = "--remote-api", defaultValue = "tei", paramLabel = "tei|openai", descriptionKey = "encoder.remote-api")
    String remoteApi;

    @Option(names = "--remote-model", paramLabel = "NAME", descriptionKey = "encoder.remote-model")
    String remoteModel;

    @Option(names = "--remote-input", defaultValue = "tokens", paramLabel = "tokens|text",
            descriptionKey = "encoder.remote-input")
    String remoteInput;

    @Option(names = "--concurrency", defaultValue = "4", paramLabel = "N", descriptionKey = "encoder.concurrency")
    int concurrency;

    @Option(names = "--remote-batch-size", defaultValue = "32", paramLabel = "N", descriptionKey = "encoder.remote-batch-size")
    int remoteBatchSize;

    @Option(names = "--remote-timeout", defaultValue = "120", paramLabel = "SECONDS",
            descriptionKey = "encoder.remote-timeout")
    int remoteTimeoutSeconds;

    @Option(names = "--remote-retries", defaultValue = "6", paramLabel = "N", descriptionKey = "encoder.remote-retries")
    int remoteRetries;

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    /**
     * The model folder: the one given, else the {@code embed.model} setting, else the bundled
     * model, installed on first use.
     */
    public Path modelDir(Config config) {
        if (modelDir != null) {
            return modelDir;
        }
        return config.find("embed.model").isPresent() ? config.path("embed.model")
                : BundledModel.install(config.path("models.dir"));
    }

    /** Returns a copy of these options with another model folder, for a step that uses a second model. */
    public EncoderOptions withModel(Path otherModelDir) {
        EncoderOptions copy = new EncoderOptions();
        copy.modelDir = otherModelDir;
        copy.maxBatchTokens = maxBatchTokens;
        copy.parallelBatches = parallelBatches;
        copy.threadsPerBatch = threadsPerBatch;
        copy.remoteUrl = remoteUrl;
        copy.remoteApi = remoteApi;
        copy.remoteModel = remoteModel;
        copy.remoteInput = remoteInput;
        copy.concurrency = concurrency;
        copy.remoteBatchSize = remoteBatchSize;
        copy.remoteTimeoutSeconds = remoteTimeoutSeconds;
        copy.remoteRetries = remoteRetries;
        return copy;
    }

    /** Reads the model's specification without loading it. */
    public ModelSpec spec(Config config) {
        return ModelSpec.read(modelDir(config), Map.of());
    }

    /**
     * Opens the encoder this run uses: a {@link RemoteEncoder} when {@code --remote} is given,
     * with its API key from {@value RemoteEncoder#API_KEY_VARIABLE}, else the local model.
     */
    public TextEncoder open(Config config) {
        if (remoteUrl != null) {
            ModelSpec spec = spec(config);
            return RemoteEncoder.open(spec, remoteSettings(spec), System.getenv(RemoteEncoder.API_KEY_VARIABLE));
        }
        ModelSpec spec = spec(config);
        return Encoder.load(spec, threads(spec.engine(), Runtime.getRuntime().availableProcessors()));
    }

    /**
     * The threads of a local encoder. With {@code --parallel-batches 0} (the default), an ONNX
     * model runs 2 batches at once with half the cores each, which embedded real posts 17% faster
     * than one batch on all cores on 2 cores (BENCHMARKS.md); TorchScript models run one batch,
     * because their thread count is not set per predictor.
     */
    Encoder.Threads threads(String engine, int cores) {
        boolean onnx = engine.equals("OnnxRuntime");
        int batches = parallelBatches;
        if (batches == 0) {
            batches = onnx && cores >= 2 ? 2 : 1;
        }
        int perBatch = threadsPerBatch > 0 || batches == 1 || !onnx ? threadsPerBatch : Math.max(1, cores / batches);
        return new Encoder.Threads(batches, perBatch);
    }

    /** Builds the remote settings from these options; the model name defaults to the model's id. */
    public RemoteSettings remoteSettings(ModelSpec spec) {
        requireAtLeast("--concurrency", concurrency, 1);
        requireAtLeast("--remote-batch-size", remoteBatchSize, 1);
        requireAtLeast("--remote-timeout", remoteTimeoutSeconds, 1);
        requireAtLeast("--remote-retries", remoteRetries, 0);
        return new RemoteSettings(remoteUrl, RemoteApi.parse(remoteApi),
                remoteModel != null ? remoteModel : spec.id(), RemoteSettings.Input.parse(remoteInput), concurrency,
                remoteBatchSize, Duration.ofSeconds(remoteTimeoutSeconds), RetryPolicy.DEFAULT.withMaxRetries(remoteRetries));
    }

    private static void requireAtLeast(String option, int value, int min) {
        if (value < min) {
            throw new UserException("remote.invalid-option", option, value, min);
        }
    }

    /** These options as command-line arguments, to pass on to another step. */
    public java.util.List<String> toArgs() {
        java.util.List<String> args = new java.util.ArrayList<>();
        if (modelDir != null) {
            args.addAll(java.util.List.of("--model", modelDir.toString()));
        }
        args.addAll(java.util.List.of("--max-batch-tokens", Integer.toString(maxBatchTokens)));
        args.addAll(java.util.List.of("--parallel-batches", Integer.toString(parallelBatches)));
        args.addAll(java.util.List.of("--threads-per-batch", Integer.toString(threadsPerBatch)));

        if (remoteUrl != null) {
            args.addAll(java.util.List.of("--remote", remoteUrl, "--remote-api", remoteApi, "--remote-input", remoteInput,
                    "--concurrency", Integer.toString(concurrency),
                    "--remote-batch-size", Integer.toString(remoteBatchSize),
                    "--remote-timeout", Integer.toString(remoteTimeoutSeconds),
                    "--remote-retries", Integer.toString(remoteRetries)));
            if (remoteModel != null) {
                args.addAll(java.util.List.of("--remote-model", remoteModel));
            }
        }
        return args;
    }
}
