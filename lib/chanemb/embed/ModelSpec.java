package chanemb.embed;

import chanemb.Dataset;
import chanemb.Json;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to load an encoder from a local folder and to use it the same way on
 * every input of a run.
 *
 * <p>Values come, in increasing priority, from the Hugging Face files in the folder
 * ({@code config.json}, {@code 1_Pooling/config.json}, {@code modules.json}), from
 * {@code chanemb-model.json} in the folder, and from explicit overrides.
 *
 * @param id          model id stored with every vector, e.g. "intfloat/multilingual-e5-large-instruct"
 * @param engine      "OnnxRuntime" for model.onnx, "PyTorch" for a TorchScript file
 * @param maxTokens   input limit including special tokens; longer inputs are cut and counted
 * @param template    input template with {text} and optionally {task}
 * @param inputs      model inputs to feed, a subset of input_ids, attention_mask, token_type_ids;
 *                    empty means "what the model declares"
 */
public record ModelSpec(String id, Path dir, String engine, String modelFile, String tokenizerFile, int maxTokens,
                        Pooling pooling, boolean normalize, String template, String task, List<String> inputs) {

    public static final String CONFIG_FILE = "chanemb-model.json";

    /** Default task of instruction-tuned e5 models, in Russian like the posts. */
    public static final String DEFAULT_TASK =
            "Определи тематику, тон и целевую аудиторию Telegram-канала по его описанию и постам";

    /** Returns the template with {task} filled in and {text} left in place. */
    public String resolvedTemplate() {
        return template.replace("{task}", task == null ? "" : task);
    }

    /** Formats one input for the model. */
    public String format(String text) {
        return resolvedTemplate().replace("{text}", text);
    }

    /** Short hash of the resolved template, stored with every vector of a run. */
    public String templateHash() {
        return Dataset.sha256(resolvedTemplate()).substring(0, 12);
    }

    /** Returns a file-name-safe key of model, template and limit, for caches. */
    public String cacheKey() {
        String name = id.replaceAll("[^A-Za-z0-9._-]+", "_");
        return name + "__" + templateHash() + "__" + maxTokens;
    }

    /** Short model name for column and folder names, e.g. "multilingual-e5-large-instruct". */
    public String shortName() {
        String tail = id.contains("/") ? id.substring(id.lastIndexOf('/') + 1) : id;
        return tail.replaceAll("[^A-Za-z0-9._-]+", "_");
    }

    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", id);
        d.put("engine", engine);
        d.put("max_tokens", maxTokens);
        d.put("pooling", pooling.name().toLowerCase());
        d.put("normalize", normalize);
        d.put("template", resolvedTemplate());
        d.put("template_hash", templateHash());
        return d;
    }

    /** Reads the specification of the model in {@code dir}, applying {@code overrides} last. */
    public static ModelSpec read(Path dir, Map<String, String> overrides) {
        if (!Files.isDirectory(dir)) {
            throw new UserException("embed.model-dir-missing", dir);
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("id", dir.getFileName().toString());
        readHuggingFace(dir, values);
        Path own = dir.resolve(CONFIG_FILE);
        if (Files.isRegularFile(own)) {
            Json.read(own, JsonNode.class).properties().forEach(e -> values.put(e.getKey(),
                    e.getValue().isArray() ? joinArray(e.getValue()) : e.getValue().asText()));
        }
        overrides.forEach((k, v) -> {
            if (v != null) {
                values.put(k, v);
            }
        });

        // Guessed only when not set: the guess fails in a folder without a usually named model file.
        String modelFile = values.containsKey("model_file") ? values.get("model_file") : guessModelFile(dir);
        String engine = values.getOrDefault("engine", modelFile.endsWith(".onnx") ? "OnnxRuntime" : "PyTorch");
        String tokenizerFile = values.getOrDefault("tokenizer_file", "tokenizer.json");
        if (!Files.isRegularFile(dir.resolve(modelFile))) {
            throw new UserException("embed.model-file-missing", dir.resolve(modelFile));
        }
        if (!Files.isRegularFile(dir.resolve(tokenizerFile))) {
            throw new UserException("embed.tokenizer-missing", dir.resolve(tokenizerFile));
        }
        if (!values.containsKey("max_tokens")) {
            throw new UserException("embed.max-tokens-unknown", dir);
        }
        int maxTokens = parsePositive(values.get("max_tokens"), "max_tokens");
        String template = values.getOrDefault("template", defaultTemplate(values.get("id")));
        if (!template.contains("{text}")) {
            throw new UserException("embed.invalid-template", template);
        }
        String task = values.getOrDefault("task", DEFAULT_TASK);
        List<String> inputs = values.containsKey("inputs") && !values.get("inputs").isBlank()
                ? List.of(values.get("inputs").split("\\s*,\\s*")) : List.of();
        return new ModelSpec(values.get("id"), dir, engine, modelFile, tokenizerFile, maxTokens,
                Pooling.parse(values.getOrDefault("pooling", "mean")),
                Boolean.parseBoolean(values.getOrDefault("normalize", "true")), template, task, inputs);
    }

    /** Instruction template for e5-instruct models, "query: " for other e5 models, the bare text otherwise. */
    static String defaultTemplate(String id) {
        String lower = id.toLowerCase();
        if (lower.contains("e5") && lower.contains("instruct")) {
            return "Instruct: {task}\nQuery: {text}";
        }
        if (lower.contains("e5")) {
            return "query: {text}";
        }
        return "{text}";
    }

    private static void readHuggingFace(Path dir, Map<String, String> values) {
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            JsonNode node = Json.read(config, JsonNode.class);
            int positions = node.path("max_position_embeddings").asInt(0);
            String type = node.path("model_type").asText("");
            if (positions > 0) {
                // RoBERTa-family models (XLM-R, bge-m3) offset positions by padding_idx + 1 = 2:
                // 514 positions read 512 tokens, 8,194 read 8,192.
                boolean roberta = type.contains("roberta") || type.equals("camembert");
                int offset = roberta ? node.path("pad_token_id").asInt(1) + 1 : 0;
                values.put("max_tokens", Integer.toString(positions - offset));
            }
        }
        Path pooling = dir.resolve("1_Pooling/config.json");
        if (Files.isRegularFile(pooling)) {
            JsonNode node = Json.read(pooling, JsonNode.class);
            if (node.path("pooling_mode_cls_token").asBoolean(false)) {
                values.put("pooling", "cls");
            } else if (node.path("pooling_mode_mean_tokens").asBoolean(false)) {
                values.put("pooling", "mean");
            }
        }
        Path modules = dir.resolve("modules.json");
        if (Files.isRegularFile(modules)) {
            boolean normalize = false;
            for (JsonNode module : Json.read(modules, JsonNode.class)) {
                normalize |= module.path("type").asText("").endsWith("Normalize");
            }
            values.put("normalize", Boolean.toString(normalize));
        }
    }

    private static String guessModelFile(Path dir) {
        for (String name : List.of("model.onnx", "onnx/model.onnx", "model.pt", "model.torchscript")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return name;
            }
        }
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".onnx") || n.endsWith(".pt"))
                    .sorted().findFirst()
                    .orElseThrow(() -> new UserException("embed.model-file-missing", dir.resolve("model.onnx")));
        } catch (IOException e) {
            throw new UserException(e, "embed.model-dir-missing", dir);
        }
    }

    private static String joinArray(JsonNode array) {
        StringBuilder joined = new StringBuilder();
        for (JsonNode item : array) {
            if (joined.length() > 0) {
                joined.append(',');
            }
            joined.append(item.asText());
        }
        return joined.toString();
    }

    private static int parsePositive(String value, String key) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserException("embed.invalid-setting", key, value);
    }
}
