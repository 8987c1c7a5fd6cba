package chanemb.embed;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * Turns texts into unit vectors with one model and one input template for a whole run: the
 * local {@link Encoder} (DJL) or a remote embedding server.
 *
 * <p>Implementations count tokens with the model's own tokenizer and report, for every input,
 * its full token count and whether it was cut to {@link ModelSpec#maxTokens()}, so truncation is
 * never silent. Empty texts must be rejected before any model call.
 */
public interface TextEncoder extends AutoCloseable {
    ModelSpec spec();

    int dimension();

    /** Counts the tokens of already formatted texts, special tokens included, without cutting anything. */
    int[] countTokens(List<String> formattedTexts);

    /**
     * Applies the template to each text, embeds them in batches of at most {@code maxBatchTokens}
     * padded tokens and returns the vectors in input order.
     *
     * @param onBatch called with the number of inputs of each finished batch, for progress
     */
    Encoder.Embedded embedTexts(List<String> texts, int maxBatchTokens, IntConsumer onBatch);

    default Encoder.Embedded embedTexts(List<String> texts, int maxBatchTokens) {
        return embedTexts(texts, maxBatchTokens, done -> { });
    }

    /**
     * Returns how many {@link #embedTexts} calls may run at once from different threads. One
     * unless the implementation is safe for more and gains from it.
     */
    default int concurrentCalls() {
        return 1;
    }

    @Override
    void close();
}
