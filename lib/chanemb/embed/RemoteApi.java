package chanemb.embed;

import chanemb.Messages;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import okhttp3.HttpUrl;

/**
 * The two embedding APIs {@link RemoteEncoder} speaks: their paths, request bodies and responses.
 * Both take a batch of inputs, each a string or an array of token ids.
 */
public enum RemoteApi {
    /**
     * Hugging Face text-embeddings-inference: {@code POST /embed} with {@code inputs}; the response
     * is an array of vectors in input order.
     */
    TEI("/embed"),
    /**
     * OpenAI-compatible servers (vLLM, text-embeddings-inference's /v1 routes, hosted APIs):
     * {@code POST /v1/embeddings} with {@code model} and {@code input}; the response has
     * {@code data[].embedding} and {@code data[].index}.
     */
    OPENAI("/v1/embeddings");

    private final String path;

    RemoteApi(String path) {
        this.path = path;
    }

    public static RemoteApi parse(String value) {
        for (RemoteApi api : values()) {
            if (api.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return api;
            }
        }
        throw new UserException("remote.invalid-api", value, "tei, openai");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the URL to post to. {@code base} is the server's address, to which the API's path
     * is added; a URL that already ends with that path is taken as it is, and for the OpenAI API
     * a base ending in /v1 gets only /embeddings.
     */
    public HttpUrl endpoint(String base) {
        HttpUrl url = HttpUrl.parse(base.trim());
        if (url == null) {
            throw new UserException("remote.invalid-url", base);
        }
        String existing = url.encodedPath().replaceAll("/+$", "");
        if (existing.endsWith(path)) {
            return url;
        }
        String added = this == OPENAI && existing.endsWith("/v1") ? "/embeddings" : path;
        return url.newBuilder().encodedPath(existing + added).build();
    }

    /** Builds the request body for one batch; {@code inputs} contains strings or arrays of token ids. */
    public ObjectNode requestBody(ArrayNode inputs, String model, boolean normalize) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (this == TEI) {
            body.set("inputs", inputs);
            body.put("normalize", normalize);
            // Inputs arrive already cut to the model's limit, so an input the server finds too
            // long is an error to report, never something to cut silently on the server.
            body.put("truncate", false);
        } else {
            body.put("model", model);
            body.set("input", inputs);
            body.put("encoding_format", "float");
        }
        return body;
    }

    /**
     * Reads the vectors of a batch of {@code expected} inputs from a response, in input order.
     *
     * @throws RemoteException when the response does not contain exactly one numeric vector per input
     */
    public float[][] parseVectors(JsonNode response, int expected, String url) {
        List<JsonNode> vectors = new ArrayList<>();
        if (this == TEI) {
            if (!response.isArray()) {
                throw invalid(url, expected, "expected a JSON array of vectors");
            }
            response.forEach(vectors::add);
        } else {
            JsonNode data = response.path("data");
            if (!data.isArray()) {
                throw invalid(url, expected, "expected an object with a \"data\" array");
            }
            for (int i = 0; i < data.size(); i++) {
                vectors.add(null);
            }
            for (int i = 0; i < data.size(); i++) {
                JsonNode item = data.get(i);
                int index = item.path("index").asInt(i);
                if (index < 0 || index >= data.size() || vectors.get(index) != null) {
                    throw invalid(url, expected, "data[" + i + "].index " + item.path("index") + " is out of range or repeated");
                }
                vectors.set(index, item.path("embedding"));
            }
        }
        if (vectors.size() != expected) {
            throw invalid(url, expected, vectors.size() + " vectors for " + expected + " inputs");
        }
        float[][] out = new float[expected][];
        for (int i = 0; i < expected; i++) {
            JsonNode vector = vectors.get(i);
            if (!vector.isArray() || vector.isEmpty()) {
                throw invalid(url, expected, "vector " + i + " is not a non-empty array of numbers");
            }
            out[i] = new float[vector.size()];
            for (int d = 0; d < vector.size(); d++) {
                JsonNode value = vector.get(d);
                if (!value.isNumber()) {
                    throw invalid(url, expected, "vector " + i + " contains " + value + " at position " + d);
                }
                out[i][d] = value.floatValue();
            }
        }
        return out;
    }

    private static RemoteException invalid(String url, int batchSize, String reason) {
        return new RemoteException(Messages.get("remote.bad-response", url, batchSize, reason));
    }
}
