package chanemb.embed;

import chanemb.Log;
import chanemb.Messages;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** Sends an HTTP request again while a {@link RetryPolicy} allows, logging each retry. */
public final class HttpRetries {
    private HttpRetries() {
    }

    /** Turns a response into a result; an IOException while reading it counts as a failed attempt. */
    @FunctionalInterface
    public interface Handler<T> {
        T handle(Response response) throws IOException;
    }

    /**
     * Sends the request that {@code request} builds (anew for each attempt, so a retry can resume)
     * until a response is not retryable, and returns what {@code handler} makes of it: a 2xx, or
     * a 4xx other than 408 and 429, which the handler should turn into an error. Retryable
     * responses, timeouts and broken connections are retried; the retry budget spent, it throws.
     *
     * @param subject what is being sent, for messages, e.g. "Embedding server URL, a batch of 32 inputs"
     * @throws RemoteException when the retry budget is spent
     */
    public static <T> T execute(OkHttpClient http, Supplier<Request> request, RetryPolicy policy, String subject,
                                Handler<T> handler) {
        Instant start = Instant.now();
        for (int attempt = 1; ; attempt++) {
            String failure;
            String retryAfter = null;
            try (Response response = http.newCall(request.get()).execute()) {
                if (!RetryPolicy.isRetryable(response.code())) {
                    return handler.handle(response);
                }
                String excerpt = excerpt(response);
                failure = "HTTP " + response.code() + (excerpt.isEmpty() ? "" : " " + excerpt);
                retryAfter = response.header("Retry-After");
            } catch (IOException e) {
                failure = describe(e);
            }

            Instant now = Instant.now();
            Duration wait = policy.delay(attempt, retryAfter, now);
            Duration elapsed = Duration.between(start, now);
            if (attempt > policy.maxRetries() || elapsed.plus(wait).compareTo(policy.maxTotal()) > 0) {
                throw new RemoteException(Messages.get("http.gave-up", subject, attempt, seconds(elapsed), failure,
                        policy.maxRetries(), seconds(policy.maxTotal())));
            }
            Log.warn("http.retry", subject, failure, attempt, policy.maxRetries(), seconds(wait));
            sleep(wait);
        }
    }

    /** Returns the first 300 characters of a response body on one line, without reading the rest. */
    public static String excerpt(Response response) {
        if (response.body() == null) {
            return "";
        }
        try {
            // 4 bytes per character cover any script.
            var source = response.body().source();
            source.request(1200);
            String text = source.readString(Math.min(1200, source.getBuffer().size()), java.nio.charset.StandardCharsets.UTF_8);
            String flat = text.replaceAll("\\s+", " ").strip();
            return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
        } catch (IOException e) {
            return "(body unreadable: " + e.getMessage() + ")";
        }
    }

    private static String describe(IOException e) {
        if (e instanceof InterruptedIOException) {
            return "timeout (" + e.getMessage() + ")";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    private static void sleep(Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteException("Interrupted while waiting to retry", e);
        }
    }
}
