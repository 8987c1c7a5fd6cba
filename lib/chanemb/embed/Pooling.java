package chanemb.embed;

import chanemb.UserException;

/** How token vectors become one text vector, and the vector arithmetic around it. */
public enum Pooling {
    /** Mean of the token vectors where the attention mask is 1 (e5 models). */
    MEAN,
    /** The first token's vector, [CLS] or &lt;s&gt; (bge-m3). */
    CLS;

    public static Pooling parse(String value) {
        for (Pooling pooling : values()) {
            if (pooling.name().equalsIgnoreCase(value.trim())) {
                return pooling;
            }
        }
        throw new UserException("embed.invalid-pooling", value, "mean, cls");
    }

    /**
     * Pools one sequence of a batch output laid out as [batch, tokens, hidden].
     *
     * @param hidden  the flattened last hidden state
     * @param row     the sequence's index in the batch
     * @param tokens  the padded sequence length of the batch
     * @param length  the number of real (unpadded) tokens of this sequence
     */
    public float[] pool(float[] hidden, int row, int tokens, int dimension, int length) {
        float[] vector = new float[dimension];
        int base = row * tokens * dimension;
        if (this == CLS) {
            System.arraycopy(hidden, base, vector, 0, dimension);
            return vector;
        }
        for (int t = 0; t < length; t++) {
            int offset = base + t * dimension;
            for (int d = 0; d < dimension; d++) {
                vector[d] += hidden[offset + d];
            }
        }
        for (int d = 0; d < dimension; d++) {
            vector[d] /= length;
        }
        return vector;
    }

    /** Scales a vector to unit L2 norm in place; returns false when it is zero or not finite. */
    public static boolean normalize(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += (double) v * v;
        }
        double norm = Math.sqrt(sum);
        if (!(norm > 0) || Double.isInfinite(norm)) {
            return false;
        }
        for (int d = 0; d < vector.length; d++) {
            vector[d] = (float) (vector[d] / norm);
        }
        return true;
    }

    /** True when every component is finite and the L2 norm is 1 within {@code tolerance}. */
    public static boolean isUnit(float[] vector, double tolerance) {
        double sum = 0;
        for (float v : vector) {
            if (!Float.isFinite(v)) {
                return false;
            }
            sum += (double) v * v;
        }
        return Math.abs(Math.sqrt(sum) - 1) <= tolerance;
    }
}
