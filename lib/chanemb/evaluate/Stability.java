package chanemb.evaluate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Stability: the cosine between consecutive ad posts of the same channel, in date order, overall
 * and by the time between them. A channel vector that describes the channel should stay close
 * over a few days and drift slowly over months.
 */
public final class Stability {
    /** Upper ends of the gap buckets in days. The last bucket has no upper end. */
    static final double[] BUCKET_ENDS = {1, 7, 30};
    public static final List<String> BUCKETS = List.of("<1d", "1-7d", "7-30d", ">=30d");

    private Stability() {
    }

    /** Pairs and mean cosine of one gap bucket. */
    public record Bucket(String name, int pairs, double meanCosine) {
    }

    public record Result(int pairs, double meanCosine, double medianCosine, List<Bucket> buckets) {
    }

    /**
     * Compares each ad post with the previous ad post of its channel.
     *
     * @param channels    channel of each ad post, parallel to {@code vectors}
     * @param epochMillis date of each ad post; the arrays are ordered by (date, id)
     */
    public static Result evaluate(long[] channels, long[] epochMillis, float[][] vectors) {
        java.util.Map<Long, Integer> previous = new java.util.HashMap<>();
        List<Double> cosines = new ArrayList<>();
        double[] sums = new double[BUCKETS.size()];
        int[] counts = new int[BUCKETS.size()];
        for (int i = 0; i < channels.length; i++) {
            Integer before = previous.put(channels[i], i);
            if (before == null) {
                continue;
            }
            double cosine = Vectors.dot(vectors[before], vectors[i]);
            double days = (epochMillis[i] - epochMillis[before]) / 86_400_000.0;
            int bucket = bucket(days);
            sums[bucket] += cosine;
            counts[bucket]++;
            cosines.add(cosine);
        }
        List<Bucket> buckets = new ArrayList<>();
        for (int b = 0; b < BUCKETS.size(); b++) {
            buckets.add(new Bucket(BUCKETS.get(b), counts[b], counts[b] == 0 ? Double.NaN : sums[b] / counts[b]));
        }
        double[] sorted = cosines.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Result(sorted.length, Arrays.stream(sorted).average().orElse(Double.NaN), median(sorted), buckets);
    }

    static int bucket(double days) {
        for (int b = 0; b < BUCKET_ENDS.length; b++) {
            if (days < BUCKET_ENDS[b]) {
                return b;
            }
        }
        return BUCKET_ENDS.length;
    }

    private static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
