package chanemb.evaluate;

/** Small vector helpers for unit vectors stored as float arrays. */
final class Vectors {
    private Vectors() {
    }

    /** Scales the vector to unit length in place. Returns false when it is zero or not finite. */
    static boolean normalize(float[] vector) {
        double sum = 0;
        for (float value : vector) {
            sum += (double) value * value;
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            return false;
        }
        double scale = 1 / Math.sqrt(sum);
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) (vector[i] * scale);
        }
        return true;
    }

    /** Dot product, which is the cosine for unit vectors. */
    static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
