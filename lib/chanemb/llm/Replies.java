package chanemb.llm;

import chanemb.Json;
import chanemb.Texts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a model reply before it may become a summary. A reply cut off at the output budget,
 * empty or null content, and in structured mode anything but a JSON object with the four
 * non-empty string fields, never becomes a summary.
 */
public final class Replies {
    /** Fields of the structured reply, in the order of the labelled summary. */
    public static final List<String> FIELDS = List.of("topic", "tone", "audience", "style");

    /** Russian labels of the fields in the labelled summary text. */
    public static final List<String> LABELS = List.of("Тематика", "Тон", "Целевая аудитория", "Стиль подачи");

    private Replies() {
    }

    /** How the model answers: free text, or JSON with the four fields. */
    public enum Mode {
        PLAIN, STRUCTURED;

        public String label() {
            return name().toLowerCase();
        }
    }

    /** An accepted reply. {@code nulRemoved} tells that U+0000 characters were taken out. */
    public record Summary(String text, Map<String, String> fields, boolean nulRemoved) {
    }

    /** The outcome of the check: a summary, or the failure to hand to the retry policy. */
    public record Checked(Summary summary, RetryPolicy.Failure failure) {
    }

    /** Checks a reply's content and finish reason. */
    public static Checked check(Mode mode, String content, String finishReason) {
        if ("length".equals(finishReason) || "model_length".equals(finishReason)) {
            return failed(RetryPolicy.Kind.LENGTH, "finish_reason " + finishReason);
        }
        if (content == null || !Texts.isTextPost(content)) {
            return failed(RetryPolicy.Kind.EMPTY_REPLY, content == null ? "content null" : "content empty");
        }
        if (finishReason != null && !finishReason.equals("stop") && !finishReason.equals("eos")) {
            return failed(RetryPolicy.Kind.EMPTY_REPLY, "finish_reason " + finishReason);
        }
        Texts.Repaired repaired = Texts.repairDetailed(content);
        if (mode == Mode.PLAIN) {
            return new Checked(new Summary(repaired.text().strip(), null, repaired.nul()), null);
        }
        return structured(repaired);
    }

    private static Checked structured(Texts.Repaired repaired) {
        JsonNode root;
        try {
            root = Json.LINE.readTree(repaired.text().strip());
        } catch (IOException e) {
            return failed(RetryPolicy.Kind.INVALID_JSON, "not JSON: " + excerpt(repaired.text()));
        }
        if (root == null || !root.isObject()) {
            return failed(RetryPolicy.Kind.INVALID_JSON, "not a JSON object: " + excerpt(repaired.text()));
        }
        Map<String, String> fields = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < FIELDS.size(); i++) {
            JsonNode value = root.get(FIELDS.get(i));
            if (value == null || !value.isTextual() || !Texts.isTextPost(value.asText())) {
                return failed(RetryPolicy.Kind.INVALID_JSON, "field \"" + FIELDS.get(i) + "\" missing or empty");
            }
            String field = value.asText().strip();
            fields.put(FIELDS.get(i), field);
            text.append(i == 0 ? "" : "\n").append(LABELS.get(i)).append(": ").append(field);
        }
        return new Checked(new Summary(text.toString(), fields, repaired.nul()), null);
    }

    /** The response_format that asks for the four fields as a strict JSON schema. */
    public static ObjectNode responseFormat() {
        ObjectNode schema = Json.LINE.createObjectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        for (String field : FIELDS) {
            properties.putObject(field).put("type", "string");
        }
        FIELDS.forEach(schema.putArray("required")::add);
        schema.put("additionalProperties", false);
        ObjectNode format = Json.LINE.createObjectNode().put("type", "json_schema");
        format.putObject("json_schema").put("name", "channel_profile").put("strict", true).set("schema", schema);
        return format;
    }

    private static Checked failed(RetryPolicy.Kind kind, String detail) {
        return new Checked(null, new RetryPolicy.Failure(kind, detail));
    }

    static String excerpt(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= 120 ? flat : Texts.cut(flat, 120) + "…";
    }
}
