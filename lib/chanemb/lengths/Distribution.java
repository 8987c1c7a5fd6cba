package chanemb.lengths;

import java.util.Arrays;

/**
 * Summary statistics of a list of lengths, as pandas' {@code describe()} computes them: the
 * standard deviation is the sample one (divided by n - 1), and a percentile interpolates
 * linearly between the two nearest ranks (NumPy's default), so the 50th percentile of
 * 1, 2, 3, 4 is 2.5.
 */
public record Distribution(long count, double mean, double std, double min, double p25, double p50, double p75,
                           double p90, double p95, double p99, double max) {

    /** Percentiles reported for every distribution. */
    public static final double[] PERCENTILES = {25, 50, 75, 90, 95, 99};

    /** Returns the statistics of {@code values}; all but the count are NaN when there are none. */
    public static Distribution of(int[] values) {
        int n = values.length;
        if (n == 0) {
            return new Distribution(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        int[] sorted = values.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (int value : sorted) {
            sum += value;
        }
        double mean = sum / n;
        double squares = 0;
        for (int value : sorted) {
            squares += (value - mean) * (value - mean);
        }
        double std = n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN;
        return new Distribution(n, mean, std, sorted[0], percentile(sorted, 25), percentile(sorted, 50),
                percentile(sorted, 75), percentile(sorted, 90), percentile(sorted, 95), percentile(sorted, 99),
                sorted[n - 1]);
    }

    /**
     * Returns the {@code p}-th percentile (0 to 100) of ascending values: the value at rank
     * (n - 1) * p / 100, interpolated between its neighbours when that rank is not whole.
     */
    public static double percentile(int[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double rank = (sorted.length - 1) * p / 100.0;
        int below = (int) Math.floor(rank);
        int above = Math.min(sorted.length - 1, below + 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    /** Returns how many values are greater than {@code limit}. */
    public static long countOver(int[] values, long limit) {
        long over = 0;
        for (int value : values) {
            if (value > limit) {
                over++;
            }
        }
        return over;
    }
}
