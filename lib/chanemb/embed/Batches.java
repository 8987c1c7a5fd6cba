package chanemb.embed;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Token-aware batching: inputs sorted by length and cut into batches whose padded size
 * (batch size times the longest input in it) stays within a token budget. Sorting keeps the
 * inputs of a batch close in length, so little compute goes into padding.
 */
public final class Batches {
    private Batches() {
    }

    /** One batch: indices into the caller's inputs, and the padded length. */
    public record Batch(int[] indices, int paddedLength) {
        public int paddedTokens() {
            return indices.length * paddedLength;
        }
    }

    /**
     * Plans batches over inputs of the given token lengths, longest first, so the slowest
     * batches run while the progress estimate is still rough.
     *
     * @param maxBatchTokens budget of padded tokens per batch; an input longer than the budget
     *                       gets a batch of its own
     * @param maxBatchSize   upper bound on inputs per batch
     */
    public static List<Batch> plan(int[] lengths, int maxBatchTokens, int maxBatchSize) {
        Integer[] order = IntStream.range(0, lengths.length).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> lengths[i]).reversed()
                .thenComparingInt(i -> i));
        List<Batch> batches = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            int padded = lengths[order[start]];
            int end = start + 1;
            // Sorted longest first, so the first input of a batch sets its padded length.
            while (end < order.length && end - start < maxBatchSize && (long) (end - start + 1) * padded <= maxBatchTokens) {
                end++;
            }
            int[] indices = new int[end - start];
            for (int k = start; k < end; k++) {
                indices[k - start] = order[k];
            }
            batches.add(new Batch(indices, padded));
            start = end;
        }
        return batches;
    }
}
