package chanemb.embed;

import chanemb.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model folders around the tiny random encoder in test/fixtures/tiny-encoder (made by
 * make_tiny_encoder.py): the same weights as ONNX and TorchScript, with the bundled e5
 * tokenizer (its vocabulary has the ids the model knows) and 128 positions.
 */
final class TinyModels {
    static final Path FIXTURE = Path.of("test/fixtures/tiny-encoder");

    private TinyModels() {
    }

    /** A folder with the given weights file and our own settings. */
    static Path folder(Path parent, String name, String weights, Map<String, Object> settings) {
        try {
            Path dir = Files.createDirectories(parent.resolve(name));
            Files.copy(FIXTURE.resolve(weights), dir.resolve(weights));
            Files.copy(TestModels.bundled().dir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("id", "test/tiny-encoder");
            config.put("model_file", weights);
            config.put("template", "{text}");
            config.putAll(settings);
            Json.writeAtomically(dir.resolve(ModelSpec.CONFIG_FILE), config);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A folder laid out like a Hugging Face repository of a bge-style model: settings only in HF files. */
    static Path huggingFaceFolder(Path parent, String name, String modelType, int positions, boolean cls) {
        try {
            Path dir = Files.createDirectories(parent.resolve(name));
            Files.copy(FIXTURE.resolve("model.onnx"), dir.resolve("model.onnx"));
            Files.copy(TestModels.bundled().dir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
            Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + modelType
                    + "\", \"max_position_embeddings\": " + positions + ", \"pad_token_id\": 1}");
            Files.createDirectories(dir.resolve("1_Pooling"));
            Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": " + cls
                    + ", \"pooling_mode_mean_tokens\": " + !cls + "}");
            Json.writeAtomically(dir.resolve("modules.json"), List.of(
                    Map.of("idx", 0, "name", "0", "path", "", "type", "sentence_transformers.models.Transformer"),
                    Map.of("idx", 1, "name", "1", "path", "1_Pooling", "type", "sentence_transformers.models.Pooling"),
                    Map.of("idx", 2, "name", "2", "path", "2_Normalize", "type", "sentence_transformers.models.Normalize")));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first token ids and the first token's output vector that PyTorch computed for the fixture. */
    static long[] referenceIds() throws IOException {
        String[] parts = Files.readAllLines(FIXTURE.resolve("reference.txt")).get(0).trim().split(" ");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            ids[i] = Long.parseLong(parts[i]);
        }
        return ids;
    }

    static float[] referenceVector() throws IOException {
        String[] parts = Files.readAllLines(FIXTURE.resolve("reference.txt")).get(1).trim().split(" ");
        float[] vector = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            vector[i] = Float.parseFloat(parts[i]);
        }
        return vector;
    }
}
