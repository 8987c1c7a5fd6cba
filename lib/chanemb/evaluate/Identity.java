package chanemb.evaluate;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Channel identity: for a query ad post, how highly the other ad posts of its own channel rank
 * among all other ad posts, ordered by cosine similarity. The query itself is never ranked.
 *
 * <p>Ties count against the run: an ad post of another channel with the same similarity as one
 * of the query's channel ranks above it. So a run that gives every ad post the same vector
 * scores as badly as it can, not perfectly.
 *
 * <p>Reciprocal rank is 1 / the rank of the best-ranked ad post of the query's channel. Recall
 * at k is the share of the channel's other ad posts among the first k, out of at most k: a
 * query whose channel has 3 other ad posts and finds all 3 in its first 10 scores 1.
 */
public final class Identity {
    private Identity() {
    }

    /** Mean reciprocal rank and mean recall at k over the queries. */
    public record Result(int queries, double meanReciprocalRank, double recallAtK, int k) {
    }

    /**
     * Ranks the ad posts for each query.
     *
     * @param channels channel of each ad post, parallel to {@code vectors}
     * @param queries  indexes of the query ad posts; each must have another ad post of its channel
     */
    public static Result evaluate(long[] channels, float[][] vectors, int[] queries, int k) {
        if (queries.length == 0) {
            return new Result(0, Double.NaN, Double.NaN, k);
        }
        double[][] scores = IntStream.range(0, queries.length).parallel()
                .mapToObj(q -> score(channels, vectors, queries[q], k))
                .toArray(double[][]::new);
        double reciprocal = 0;
        double recall = 0;
        for (double[] score : scores) {
            reciprocal += score[0];
            recall += score[1];
        }
        return new Result(queries.length, reciprocal / queries.length, recall / queries.length, k);
    }

    /** Returns {reciprocal rank, recall at k} of one query. */
    static double[] score(long[] channels, float[][] vectors, int query, int k) {
        float[] q = vectors[query];
        int relevantCount = 0;
        for (int i = 0; i < channels.length; i++) {
            if (i != query && channels[i] == channels[query]) {
                relevantCount++;
            }
        }

        double[] relevant = new double[relevantCount];
        double[] others = new double[channels.length - 1 - relevantCount];
        int r = 0;
        int o = 0;
        for (int i = 0; i < channels.length; i++) {
            if (i == query) {
                continue;
            }
            double similarity = Vectors.dot(q, vectors[i]);
            if (channels[i] == channels[query]) {
                relevant[r++] = similarity;
            } else {
                others[o++] = similarity;
            }
        }
        Arrays.sort(relevant);
        Arrays.sort(others);

        // Walk the relevant ad posts from the most similar down. The j-th of them (from 0) ranks
        // after j relevant ones and after every other-channel ad post that is at least as similar.
        double reciprocal = 0;
        int found = 0;
        for (int j = 0; j < relevantCount; j++) {
            double similarity = relevant[relevantCount - 1 - j];
            int rank = 1 + j + countAtLeast(others, similarity);
            if (j == 0) {
                reciprocal = 1.0 / rank;
            }
            if (rank <= k) {
                found++;
            }
        }
        return new double[] {reciprocal, relevantCount == 0 ? 0 : found / (double) Math.min(k, relevantCount)};
    }

    /** Number of values in the ascending array that are greater than or equal to {@code value}. */
    private static int countAtLeast(double[] ascending, double value) {
        int low = 0;
        int high = ascending.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (ascending[middle] < value) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return ascending.length - low;
    }
}
