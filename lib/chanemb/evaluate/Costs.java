package chanemb.evaluate;

import chanemb.Dataset;
import chanemb.Json;
import chanemb.UserException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The cost of each run, read from the step outputs: the embed manifest (inputs embedded, inputs
 * taken from the cache, tokens, seconds) and, for the summary approach, the summarize step's
 * JSONL records (calls, tokens, time). Money is computed only for the LLM, from prices the user
 * gives; the local encoder has no per-call price.
 *
 * <p>Figures are those of the run that wrote the output: inputs taken from the cache cost that
 * run nothing, and their cost is in the run that embedded them. A figure that the output does not
 * contain is null.
 */
public final class Costs {
    private Costs() {
    }

    /** LLM prices in USD per million tokens (null when not given), and the factor for batch calls. */
    public record Prices(Double input, Double output, double batchFactor) {
        public boolean known() {
            return input != null && output != null;
        }
    }

    /** Figures of the summarize step, summed over every record of its JSONL file. */
    public record Llm(long records, long calls, long tokensIn, long tokensOut, Double wallSeconds, Double usd) {
    }

    /** Cost of one run. {@code llm} is null when the approach makes no LLM calls or none were found. */
    public record Cost(Long inputsEmbedded, Long inputsFromCache, Long tokensEmbedded, Double encoderSeconds, Llm llm) {
    }

    /** Reads the encoder figures of an embed manifest, under the names of older manifests too. */
    public static Cost encoder(Dataset.Manifest manifest, Llm llm) {
        if (manifest == null) {
            return new Cost(null, null, null, null, llm);
        }
        Map<String, Object> counts = manifest.counts();
        return new Cost(number(counts, "inputs_embedded", "posts_embedded"),
                number(counts, "model_calls_saved", "posts_from_cache"), number(counts, "tokens_embedded"),
                decimal(counts, "seconds"), llm);
    }

    /**
     * Sums the summarize step's records. Every record counts, failed ones too, because their calls
     * were paid for. A last line cut off by a killed run is ignored, as the summarize step does.
     */
    public static Llm summaries(Path jsonl, Prices prices) {
        long records = 0;
        long calls = 0;
        long tokensIn = 0;
        long tokensOut = 0;
        double usd = 0;
        Instant first = null;
        Instant last = null;
        try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode record;
                try {
                    record = Json.LINE.readTree(line);
                } catch (IOException e) {
                    if (reader.ready()) {
                        throw new UserException("evaluate.summaries-invalid", jsonl, number, e.getMessage());
                    }
                    break;
                }
                records++;
                long in = record.path("tokens_in").asLong(0);
                long out = record.path("tokens_out").asLong(0);
                calls += record.path("attempts").asLong(0);
                tokensIn += in;
                tokensOut += out;
                if (prices.known()) {
                    double factor = record.hasNonNull("batch_job") ? prices.batchFactor() : 1;
                    usd += (in * prices.input() + out * prices.output()) / 1e6 * factor;
                }
                Instant created = instant(record.path("created").asText(null));
                if (created != null) {
                    first = first == null || created.isBefore(first) ? created : first;
                    last = last == null || created.isAfter(last) ? created : last;
                }
            }
        } catch (IOException e) {
            throw new UserException(e, "evaluate.summaries-invalid", jsonl, 0, e.getMessage());
        }
        Double wall = first == null ? null : (last.toEpochMilli() - first.toEpochMilli()) / 1000.0;
        return new Llm(records, calls, tokensIn, tokensOut, wall, prices.known() ? usd : null);
    }

    private static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Long number(Map<String, Object> counts, String... keys) {
        for (String key : keys) {
            if (counts.get(key) instanceof Number value) {
                return value.longValue();
            }
        }
        return null;
    }

    private static Double decimal(Map<String, Object> counts, String key) {
        return counts.get(key) instanceof Number value ? value.doubleValue() : null;
    }

    /** True when the JSONL file of the summarize step exists. */
    public static boolean hasSummaries(Path jsonl) {
        return jsonl != null && Files.isRegularFile(jsonl);
    }
}
