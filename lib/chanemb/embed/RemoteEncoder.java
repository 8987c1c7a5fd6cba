package chanemb.embed;

import chanemb.Json;
import chanemb.Log;
import chanemb.Messages;
import chanemb.UserException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.ResponseBody;

/**
 * A {@link TextEncoder} whose inference runs on an embedding server (text-embeddings-inference
 * or an OpenAI-compatible one), for runs too large for one machine.
 *
 * <p>The model folder stays local and provides the tokenizer and the limits: inputs are
 * formatted, counted and cut here exactly as {@link Encoder} does, then sent in token-budget
 * batches with several requests in flight. What is sent for an input over the limit is set by
 * {@link RemoteSettings.Input}: its cut token ids, or the longest beginning of its text that fits,
 * so the server embeds the tokens that were counted. Every vector that comes back is checked: one per
 * input, the dimension of the first answer, finite and non-zero; it is L2-normalized here when
 * the model's settings ask for normalization, whether or not the server already did.
 *
 * <p>Failed requests are retried as {@link RetryPolicy} says, each retry logged with the batch
 * size; other 4xx answers fail at once. The API key, sent as a bearer token, is never logged.
 */
public final class RemoteEncoder implements TextEncoder {
    /** Environment variable holding the API key of the embedding server, if it needs one. */
    public static final String API_KEY_VARIABLE = "CHANEMB_EMBED_API_KEY";

    private static final MediaType JSON = MediaType.get("application/json");

    private final ModelSpec spec;
    private final RemoteSettings settings;
    private final ModelTokenizer tokenizer;
    private final HttpUrl url;
    private final String apiKey;
    private final OkHttpClient http;
    private final ExecutorService pool;
    private final AtomicBoolean warnedNotUnit = new AtomicBoolean();
    private volatile int dimension = -1;

    private RemoteEncoder(ModelSpec spec, RemoteSettings settings, ModelTokenizer tokenizer, String apiKey) {
        this.spec = spec;
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.url = settings.api().endpoint(settings.url());
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
        this.http = new OkHttpClient.Builder()
                .connectTimeout(settings.timeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? settings.timeout() : Duration.ofSeconds(10))
                .writeTimeout(settings.timeout())
                .readTimeout(settings.timeout())
                .callTimeout(settings.timeout())
                // Every failure goes through the bounded, logged retries below, none silently through OkHttp's.
                .retryOnConnectionFailure(false)
                .connectionPool(new ConnectionPool(settings.concurrency(), 5, TimeUnit.MINUTES))
                .build();
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(settings.concurrency(), task -> {
            Thread thread = new Thread(task, "chanemb-remote-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Connects to the server and learns the vector dimension from one probe input.
     *
     * @param apiKey bearer token for the server, or null
     */
    public static RemoteEncoder open(ModelSpec spec, RemoteSettings settings, String apiKey) {
        RemoteEncoder encoder = new RemoteEncoder(spec, settings, ModelTokenizer.load(spec), apiKey);
        try {
            encoder.embedTexts(List.of("probe"), Integer.MAX_VALUE);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
        Log.info("remote.connected", encoder.url, settings.api().label(), settings.input().label(), encoder.dimension,
                settings.concurrency());
        return encoder;
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    public HttpUrl url() {
        return url;
    }

    /**
     * Returns two, so that one call tokenizes its texts while the other waits for the server.
     * NOTE: the two calls share one DJL tokenizer. Concurrent use ran without error over 1.68M
     * posts at full scale, but no test checks it.
     */
    @Override
    public int concurrentCalls() {
        return 2;
    }

    @Override
    public int[] countTokens(List<String> formattedTexts) {
        return tokenizer.countTokens(formattedTexts);
    }

    /** Formats, counts and cuts texts here, and has the server embed them; empty texts are rejected. */
    @Override
    public Encoder.Embedded embedTexts(List<String> texts, int maxBatchTokens, IntConsumer onBatch) {
        List<String> formatted = new ArrayList<>(texts.size());
        for (String text : texts) {
            if (text == null || text.isBlank()) {
                throw new IllegalArgumentException("Empty text passed to the encoder");
            }
            formatted.add(spec.format(text));
        }
        Encoder.Tokenized tokenized = tokenizer.tokenize(formatted);
        List<Batches.Batch> batches = Batches.plan(tokenized.lengths(), maxBatchTokens, settings.maxBatchSize());

        CompletionService<float[][]> finished = new ExecutorCompletionService<>(pool);
        List<Future<float[][]>> futures = new ArrayList<>(batches.size());
        Map<Future<float[][]>, Batches.Batch> batchOf = new HashMap<>();
        for (Batches.Batch batch : batches) {
            ArrayNode inputs = inputsOf(batch, tokenized, formatted);
            Future<float[][]> future = finished.submit(() -> post(inputs, batch.indices().length));
            futures.add(future);
            batchOf.put(future, batch);
        }

        float[][] vectors = new float[texts.size()][];
        long padded = 0;
        try {
            for (int k = 0; k < batches.size(); k++) {
                Future<float[][]> done = finished.take();
                Batches.Batch batch = batchOf.get(done);
                float[][] batchVectors = done.get();
                for (int r = 0; r < batchVectors.length; r++) {
                    vectors[batch.indices()[r]] = batchVectors[r];
                }
                padded += batch.paddedTokens();
                onBatch.accept(batch.indices().length);
            }
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new RemoteException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new RemoteException("Interrupted while waiting for " + url, e);
        }
        return new Encoder.Embedded(vectors, tokenized.fullLengths(), tokenized.truncated(), padded);
    }

    /** Builds the request inputs of one batch: cut token ids, or texts cut to fit. */
    private ArrayNode inputsOf(Batches.Batch batch, Encoder.Tokenized tokenized, List<String> formatted) {
        ArrayNode inputs = JsonNodeFactory.instance.arrayNode(batch.indices().length);
        for (int i : batch.indices()) {
            if (settings.input() == RemoteSettings.Input.TOKENS) {
                ArrayNode ids = inputs.addArray();
                for (long id : tokenized.ids()[i]) {
                    ids.add(id);
                }
            } else {
                inputs.add(tokenized.truncated()[i] ? tokenizer.cutText(formatted.get(i)) : formatted.get(i));
            }
        }
        return inputs;
    }

    /** Posts one batch, retrying as the policy allows, and returns its checked vectors. */
    private float[][] post(ArrayNode inputs, int batchSize) {
        byte[] body;
        try {
            body = Json.LINE.writeValueAsBytes(settings.api().requestBody(inputs, settings.model(), spec.normalize()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the request body", e);
        }
        Request.Builder request = new Request.Builder().url(url).post(RequestBody.create(body, JSON));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        String subject = Messages.get("remote.subject", url, batchSize);
        return HttpRetries.execute(http, request::build, settings.retry(), subject, response -> {
            if (!response.isSuccessful()) {
                throw new UserException("remote.rejected", url, batchSize, response.code(), HttpRetries.excerpt(response),
                        spec.maxTokens(), spec.dir());
            }
            return checked(parse(response.body(), batchSize), batchSize);
        });
    }

    private float[][] parse(ResponseBody body, int batchSize) throws IOException {
        String text = body == null ? "" : body.string();
        JsonNode response;
        try {
            response = Json.LINE.readTree(text);
        } catch (JsonProcessingException e) {
            throw new RemoteException(Messages.get("remote.bad-response", url, batchSize,
                    "not JSON: " + shorten(text)), e);
        }
        if (response == null) {
            throw new RemoteException(Messages.get("remote.bad-response", url, batchSize, "empty body"));
        }
        return settings.api().parseVectors(response, batchSize, url.toString());
    }

    /** Checks dimension, finiteness and norm; normalizes when the model's settings ask for it. */
    private float[][] checked(float[][] vectors, int batchSize) {
        synchronized (this) {
            if (dimension < 0) {
                dimension = vectors[0].length;
            }
        }
        for (int i = 0; i < vectors.length; i++) {
            float[] vector = vectors[i];
            if (vector.length != dimension) {
                throw new RemoteException(Messages.get("remote.wrong-dimension", url, vector.length, i, batchSize, dimension,
                        spec.dir()));
            }
            double sum = 0;
            for (float v : vector) {
                sum += (double) v * v;
            }
            double norm = Math.sqrt(sum);
            if (!Double.isFinite(norm) || norm == 0) {
                throw new RemoteException(Messages.get("remote.not-finite", url, i, batchSize));
            }
            if (spec.normalize()) {
                if (Math.abs(norm - 1) > 1e-3 && warnedNotUnit.compareAndSet(false, true)) {
                    Log.warn("remote.normalized-here", url, norm);
                }
                Pooling.normalize(vector);
            }
        }
        return vectors;
    }

    private static String shorten(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
    }

    @Override
    public void close() {
        pool.shutdownNow();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        tokenizer.close();
    }
}
