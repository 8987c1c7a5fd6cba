package chanemb.embed;

import chanemb.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An embedding server on loopback speaking text-embeddings-inference's POST /embed and the
 * OpenAI-compatible POST /v1/embeddings. It computes vectors with the bundled model, one input
 * at a time so that batching cannot change them, and can be scripted to fail.
 */
public final class FakeEmbeddingServer implements AutoCloseable {
    /** What the server does to one request instead of, or on top of, responding. */
    public record Fault(int status, String retryAfter, long delayMillis, boolean drop, int extraValues, float scale) {
        public static Fault status(int status, String retryAfter) {
            return new Fault(status, retryAfter, 0, false, 0, 1);
        }

        public static Fault delay(long millis) {
            return new Fault(200, null, millis, false, 0, 1);
        }

        public static Fault dropConnection() {
            return new Fault(200, null, 0, true, 0, 1);
        }

        public static Fault extraValues(int n) {
            return new Fault(200, null, 0, false, n, 1);
        }

        public static Fault scale(float factor) {
            return new Fault(200, null, 0, false, 0, factor);
        }
    }

    /** One request as received. */
    public record Seen(String path, JsonNode body, String authorization, long receivedNanos) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final Encoder encoder;
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final List<Seen> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile long responseDelayMillis;
    private volatile String errorBody = "{\"error\":\"scripted failure\",\"error_type\":\"validation\"}";

    public FakeEmbeddingServer(Encoder encoder) throws IOException {
        this.encoder = encoder;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Applies {@code fault} to the next request that has none yet, in order. */
    public synchronized FakeEmbeddingServer then(Fault fault) {
        faults.add(fault);
        return this;
    }

    /** Delays every response, so that concurrent requests overlap. */
    public void delayAnswers(long millis) {
        responseDelayMillis = millis;
    }

    public void errorBody(String body) {
        errorBody = body;
    }

    public List<Seen> requests() {
        synchronized (requests) {
            return new ArrayList<>(requests);
        }
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    private synchronized Fault nextFault() {
        return faults.poll();
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try (exchange) {
            JsonNode body = Json.LINE.readTree(exchange.getRequestBody());
            requests.add(new Seen(exchange.getRequestURI().getPath(), body,
                    exchange.getRequestHeaders().getFirst("Authorization"), System.nanoTime()));
            Fault fault = nextFault();
            long delay = responseDelayMillis + (fault == null ? 0 : fault.delayMillis());
            if (delay > 0) {
                Thread.sleep(delay);
            }
            if (fault != null && fault.drop()) {
                throw new IOException("dropping the connection on purpose");
            }
            if (fault != null && fault.status() != 200) {
                if (fault.retryAfter() != null) {
                    exchange.getResponseHeaders().add("Retry-After", fault.retryAfter());
                }
                send(exchange, fault.status(), errorBody);
                return;
            }
            boolean openAi = exchange.getRequestURI().getPath().equals("/v1/embeddings");
            JsonNode inputs = openAi ? body.path("input") : body.path("inputs");
            float[][] vectors = embed(inputs);
            if (fault != null) {
                for (int i = 0; i < vectors.length; i++) {
                    vectors[i] = java.util.Arrays.copyOf(vectors[i], vectors[i].length + fault.extraValues());
                    for (int d = 0; d < vectors[i].length; d++) {
                        vectors[i][d] *= fault.scale();
                    }
                }
            }
            send(exchange, 200, Json.LINE.writeValueAsString(openAi ? openAiResponse(vectors, body) : vectors));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Embeds token-id arrays as they are, and strings through the bundled tokenizer, each input alone. */
    private float[][] embed(JsonNode inputs) {
        float[][] vectors = new float[inputs.size()][];
        synchronized (encoder) {
            for (int i = 0; i < inputs.size(); i++) {
                JsonNode input = inputs.get(i);
                Encoder.Tokenized tokenized;
                if (input.isArray()) {
                    long[] ids = new long[input.size()];
                    for (int t = 0; t < ids.length; t++) {
                        ids[t] = input.get(t).asLong();
                    }
                    tokenized = new Encoder.Tokenized(new long[][] {ids}, new long[][] {new long[ids.length]},
                            new int[] {ids.length}, new boolean[1]);
                } else {
                    tokenized = encoder.tokenize(List.of(input.asText()));
                }
                vectors[i] = encoder.embed(tokenized, Integer.MAX_VALUE).vectors()[0];
            }
        }
        return vectors;
    }

    /** Builds the OpenAI response with data in reverse order: clients must place vectors by their index. */
    private static ObjectNode openAiResponse(float[][] vectors, JsonNode request) {
        ObjectNode response = JsonNodeFactory.instance.objectNode();
        response.put("object", "list");
        ArrayNode data = response.putArray("data");
        for (int i = vectors.length - 1; i >= 0; i--) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            ArrayNode values = item.putArray("embedding");
            for (float v : vectors[i]) {
                values.add(v);
            }
        }
        response.put("model", request.path("model").asText());
        return response;
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
