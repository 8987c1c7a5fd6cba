package chanemb.embed;

import chanemb.UserException;

/**
 * Pools the vectors of a window's previous posts into one channel vector: a weighted mean,
 * then L2 normalization. Posts are ordered oldest first, as in the windows output.
 */
public final class WindowPooling {
    private WindowPooling() {
    }

    /** How the posts of a window are weighted. */
    public enum Weights {
        /** Every post counts the same. */
        MEAN,
        /** The newest post has weight 1, the one before it decay, then decay squared, and so on. */
        RECENCY;

        public static Weights parse(String value) {
            for (Weights weights : values()) {
                if (weights.name().equalsIgnoreCase(value.trim())) {
                    return weights;
                }
            }
            throw new UserException("embed.invalid-weights", value, "mean, recency");
        }
    }

    /** Weights of {@code n} posts, oldest first. */
    public static double[] weights(int n, Weights mode, double decay) {
        if (mode == Weights.RECENCY && !(decay > 0 && decay <= 1)) {
            throw new UserException("embed.invalid-decay", decay);
        }
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) {
            weights[i] = mode == Weights.MEAN ? 1.0 : Math.pow(decay, n - 1 - i);
        }
        return weights;
    }

    /**
     * Weighted mean of the given vectors, normalized to unit length; null when there is no
     * vector or the mean is zero (which would give NaN after normalizing).
     *
     * @param vectors vectors of the window's posts, oldest first; null entries (posts without a
     *                vector) are skipped and their weight dropped
     */
    public static float[] pool(float[][] vectors, double[] weights) {
        float[] sum = null;
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null) {
                continue;
            }
            if (sum == null) {
                sum = new float[vectors[i].length];
            }
            for (int d = 0; d < sum.length; d++) {
                sum[d] += (float) (weights[i] * vectors[i][d]);
            }
        }
        if (sum == null || !Pooling.normalize(sum)) {
            return null;
        }
        return sum;
    }

    /** Mixes a window vector with the channel's title-and-description vector: (1 - share) * window + share * profile, normalized. */
    public static float[] mix(float[] window, float[] profile, double profileShare) {
        if (profile == null || profileShare == 0) {
            return window;
        }
        if (window == null) {
            return null;
        }
        float[] mixed = new float[window.length];
        for (int d = 0; d < mixed.length; d++) {
            mixed[d] = (float) ((1 - profileShare) * window[d] + profileShare * profile[d]);
        }
        return Pooling.normalize(mixed) ? mixed : null;
    }
}
