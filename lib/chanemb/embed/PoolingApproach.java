package chanemb.embed;

import chanemb.WindowsFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The pooling approach: embed every distinct previous post once (through the cache), then pool
 * each window's post vectors. In memory: the windows, one accumulator of doubles per ad post
 * and an index from post id to window positions; post vectors stream through once.
 */
public final class PoolingApproach {
    private PoolingApproach() {
    }

    /** Result of pooling: one row per window, in window order. */
    public record Result(List<Embeddings.Row> rows, long withVector, long emptyWindows, long noText, long postsPooled,
                         long postsTruncated) {
    }

    public static Result pool(List<WindowsFile.Entry> windows, Path textsDir, Path windowsDir, Path cacheDir,
                              int dimension, WindowPooling.Weights weights, double decay) {
        // Index: every (post id, window, position), sorted by post id.
        int total = windows.stream().mapToInt(w -> w.prevPostIds().length).sum();
        long[] postIds = new long[total];
        int[] windowOf = new int[total];
        int[] positionOf = new int[total];
        Integer[] order = new Integer[total];
        int k = 0;
        for (int w = 0; w < windows.size(); w++) {
            long[] prev = windows.get(w).prevPostIds();
            for (int p = 0; p < prev.length; p++) {
                postIds[k] = prev[p];
                windowOf[k] = w;
                positionOf[k] = p;
                order[k] = k;
                k++;
            }
        }
        Arrays.sort(order, (a, b) -> Long.compare(postIds[a], postIds[b]));
        long[] sortedIds = new long[total];
        for (int i = 0; i < total; i++) {
            sortedIds[i] = postIds[order[i]];
        }

        // Sums in double: the cache streams in no fixed order, and float sums taken in another
        // order differ in their last bits, which made upload rewrite unchanged ad posts.
        double[][] sums = new double[windows.size()][];
        int[] inputs = new int[windows.size()];
        int[] tokens = new int[windows.size()];
        int[] truncated = new int[windows.size()];
        long[] distinct = new long[2];
        java.util.Map<Integer, double[]> weightsByCount = new java.util.HashMap<>();
        PostVectors.forEach(textsDir, windowsDir, cacheDir, entry -> {
            int at = Arrays.binarySearch(sortedIds, entry.postId());
            if (at < 0) {
                return;
            }
            while (at > 0 && sortedIds[at - 1] == entry.postId()) {
                at--;
            }
            distinct[0]++;
            distinct[1] += entry.truncated() ? 1 : 0;
            for (int i = at; i < total && sortedIds[i] == entry.postId(); i++) {
                int index = order[i];
                int w = windowOf[index];
                int n = windows.get(w).prevPostIds().length;
                double weight = weightsByCount.computeIfAbsent(n, c -> WindowPooling.weights(c, weights, decay))
                        [positionOf[index]];
                if (sums[w] == null) {
                    sums[w] = new double[dimension];
                }
                double[] sum = sums[w];
                float[] vector = entry.vector();
                for (int d = 0; d < dimension; d++) {
                    sum[d] += weight * vector[d];
                }
                inputs[w]++;
                tokens[w] += entry.tokens();
                truncated[w] += entry.truncated() ? 1 : 0;
            }
        });

        List<Embeddings.Row> rows = new java.util.ArrayList<>(windows.size());
        long withVector = 0;
        long empty = 0;
        long noText = 0;
        for (int w = 0; w < windows.size(); w++) {
            WindowsFile.Entry window = windows.get(w);
            float[] vector = toFloats(sums[w]);
            sums[w] = null;
            String reason = null;
            if (window.prevPostIds().length == 0) {
                reason = Embeddings.EMPTY_WINDOW;
                empty++;
            } else if (vector == null || !Pooling.normalize(vector)) {
                // Every post of the window lost its text since windowing: pooling would give zero.
                vector = null;
                reason = Embeddings.NO_TEXT;
                noText++;
            } else {
                withVector++;
            }
            rows.add(new Embeddings.Row(window.adPostId(), vector, inputs[w], tokens[w], truncated[w], reason));
        }
        return new Result(rows, withVector, empty, noText, distinct[0], distinct[1]);
    }

    private static float[] toFloats(double[] sum) {
        if (sum == null) {
            return null;
        }
        float[] vector = new float[sum.length];
        for (int d = 0; d < sum.length; d++) {
            vector[d] = (float) sum[d];
        }
        return vector;
    }
}
