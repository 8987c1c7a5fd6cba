package chanemb.embed;

import chanemb.Config;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options choosing the encoder of a run; mixed into the scripts that embed. */
public class EncoderOptions {
    @Option(names = "--model", paramLabel = "DIR", descriptionKey = "encoder.model")
    Path modelDir;

    @Option(names = "--max-batch-tokens", defaultValue = "8192", paramLabel = "N", descriptionKey = "encoder.max-batch-tokens")
    int maxBatchTokens;

    @Option(names = "--parallel-batches", defaultValue = "1", paramLabel = "N", descriptionKey = "encoder.parallel-batches")
    int parallelBatches;

    @Option(names = "--threads-per-batch", defaultValue = "0", paramLabel = "N", descriptionKey = "encoder.threads-per-batch")
    int threadsPerBatch;

    public int maxBatchTokens() {
        return maxBatchTokens;
    }

    /** The model folder: the one given, else the bundled model, installed on first use. */
    public Path modelDir(Config config) {
        return modelDir != null ? modelDir : BundledModel.install(config.path("models.dir"));
    }

    /** Reads the model's specification without loading it. */
    public ModelSpec spec(Config config) {
        return ModelSpec.read(modelDir(config), Map.of());
    }

    /** Loads the encoder this run uses. */
    public TextEncoder open(Config config) {
        return Encoder.load(spec(config), new Encoder.Threads(parallelBatches, threadsPerBatch));
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
        return args;
    }
}
