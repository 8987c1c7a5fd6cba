package chanemb.embed;

import chanemb.UserException;
import java.time.Duration;
import java.util.Locale;

/**
 * How {@link RemoteEncoder} reaches its embedding server.
 *
 * @param url          base URL of the server, e.g. http://gpu-1:8080; see {@link RemoteApi#endpoint}
 * @param model        model name sent with OpenAI-compatible requests
 * @param concurrency  requests in flight at once
 * @param maxBatchSize inputs per request at most (text-embeddings-inference rejects more than 32
 *                     unless started with a larger --max-client-batch-size)
 * @param timeout      limit of one request, from connecting to the last byte of the response
 */
public record RemoteSettings(String url, RemoteApi api, String model, Input input, int concurrency, int maxBatchSize,
                             Duration timeout, RetryPolicy retry) {

    /** The form in which each input is sent. */
    public enum Input {
        /**
         * Token ids from the local tokenizer, already cut to the model's limit, special tokens
         * included: the server embeds exactly the tokens that were counted.
         */
        TOKENS,
        /**
         * Text, for servers that take only strings. A text over the limit is cut at a token
         * boundary to the longest beginning that still fits, so the server needs no truncation.
         */
        TEXT;

        public static Input parse(String value) {
            for (Input input : values()) {
                if (input.name().equalsIgnoreCase(value.trim())) {
                    return input;
                }
            }
            throw new UserException("remote.invalid-input", value, "tokens, text");
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
