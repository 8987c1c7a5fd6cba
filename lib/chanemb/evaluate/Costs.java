package chanemb.evaluate;

import chanemb.Dataset;
import chanemb.Json;
import chanemb.UserException;
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
        class Totals {
            long records;
            long calls;
            long tokensIn;
            long tokensOut;
            double usd;
            Instant first;
            Instant last;
        }
        Totals totals = new Totals();
        Json.readLines(jsonl, "evaluate.summaries-invalid", record -> {
            long in = record.path("tokens_in").asLong(0);
            long out = record.path("tokens_out").asLong(0);
            totals.records++;
            totals.calls += record.path("attempts").asLong(0);
            totals.tokensIn += in;
            totals.tokensOut += out;
            if (prices.known()) {
                double factor = record.hasNonNull("batch_job") ? prices.batchFactor() : 1;
                totals.usd += (in * prices.input() + out * prices.output()) / 1e6 * factor;
            }
            Instant created = instant(record.path("created").asText(null));
            if (created != null) {
                totals.first = totals.first == null || created.isBefore(totals.first) ? created : totals.first;
                totals.last = totals.last == null || created.isAfter(totals.last) ? created : totals.last;
            }
        });
        Instant first = totals.first;
        Instant last = totals.last;
        Double wall = first == null ? null : (last.toEpochMilli() - first.toEpochMilli()) / 1000.0;
        return new Llm(totals.records, totals.calls, totals.tokensIn, totals.tokensOut, wall,
                prices.known() ? totals.usd : null);
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
