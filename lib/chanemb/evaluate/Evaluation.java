package chanemb.evaluate;

import chanemb.Log;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Evaluates several runs side by side on the same ad posts: those that have a vector in every
 * run. Each metric takes the same queries in every run, so differences come from the vectors.
 *
 * <pre>{@code
 * Evaluation.Results results = Evaluation.run(AdPosts.read(windows), runs, topics, targets, Evaluation.Settings.defaults());
 * }</pre>
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * Parameters of the metrics.
     *
     * @param recallAt    k of recall at k in the identity metric
     * @param neighbours  k of the k-nearest-neighbour topic classifier
     * @param topicFolds  maximum number of channel folds of the topic metric
     * @param folds       time-ordered folds of the downstream metric
     * @param maxQueries  maximum number of ad posts ranked (identity) and classified (topic). Each
     *                    query is compared with every ad post, so a seeded sample is taken when
     *                    there are more
     */
    public record Settings(int recallAt, int neighbours, int topicFolds, int folds, int maxQueries, long seed) {
        public static Settings defaults() {
            return new Settings(10, 10, 20, 5, 2000, 1);
        }
    }

    /** Results of one run. A metric that was not computed is null. */
    public record RunResult(VectorRun run, Identity.Result identity, Topics.Result topic, Stability.Result stability,
                            Downstream.Result downstream) {
    }

    /**
     * Results of every run.
     *
     * @param adPosts   ad posts in the windows
     * @param common    ad posts with a vector in every run, which every metric uses
     * @param coverage  ad posts with a vector, by run name
     * @param withTopic common ad posts whose channel has a dominant topic (null: no topic labels)
     * @param withTarget common ad posts with a target value (null: no target column)
     * @param channelsPerTopic channels of the common ad posts by dominant topic (null: no topic labels)
     */
    public record Results(int adPosts, int common, Map<String, Integer> coverage, Integer withTopic, Integer withTarget,
                          Map<String, Integer> channelsPerTopic, List<RunResult> runs) {
    }

    /**
     * Computes the metrics. {@code topics} (dominant topic by channel) and {@code targets} (by ad
     * post id) may be null, and their metrics are then left out.
     */
    public static Results run(List<AdPosts.AdPost> ads, List<VectorRun> runs, Map<Long, String> topics,
                              Map<Long, Double> targets, Settings settings) {
        // 1. The ad posts that every run has a vector for, in date order.
        Map<String, Integer> coverage = new LinkedHashMap<>();
        for (VectorRun run : runs) {
            coverage.put(run.name(), (int) ads.stream().filter(ad -> run.vectors().containsKey(ad.id())).count());
        }
        List<AdPosts.AdPost> common = ads.stream()
                .filter(ad -> runs.stream().allMatch(run -> run.vectors().containsKey(ad.id())))
                .toList();
        long[] channels = common.stream().mapToLong(AdPosts.AdPost::channelId).toArray();
        long[] dates = common.stream().mapToLong(AdPosts.AdPost::epochMillis).toArray();
        int[] queries = queries(channels, settings.maxQueries(), settings.seed());
        Integer withTopic = topics == null ? null
                : (int) Arrays.stream(channels).filter(topics::containsKey).count();
        int[] withTargetIndexes = targets == null ? new int[0]
                : java.util.stream.IntStream.range(0, common.size()).filter(i -> targets.containsKey(common.get(i).id()))
                .toArray();
        double[] targetValues = Arrays.stream(withTargetIndexes).mapToDouble(i -> targets.get(common.get(i).id()))
                .toArray();

        // 2. Every metric on every run.
        List<RunResult> results = new ArrayList<>();
        for (VectorRun run : runs) {
            long start = System.nanoTime();
            float[][] vectors = common.stream().map(ad -> run.vectors().get(ad.id())).toArray(float[][]::new);
            Identity.Result identity = Identity.evaluate(channels, vectors, queries, settings.recallAt());
            Topics.Result topic = topics == null ? null : Topics.evaluate(channels, vectors, topics, queries,
                    settings.neighbours(), settings.topicFolds(), settings.seed());
            Stability.Result stability = Stability.evaluate(channels, dates, vectors);
            Downstream.Result downstream = targets == null ? null : Downstream.evaluate(
                    Arrays.stream(withTargetIndexes).mapToObj(i -> vectors[i]).toArray(float[][]::new), targetValues,
                    settings.folds());
            results.add(new RunResult(run, identity, topic, stability, downstream));
            Log.info("evaluate.run-done", run.name(), (System.nanoTime() - start) / 1e9);
        }
        Map<String, Integer> channelsPerTopic = null;
        if (topics != null) {
            channelsPerTopic = new java.util.TreeMap<>();
            for (long channel : Arrays.stream(channels).distinct().toArray()) {
                if (topics.containsKey(channel)) {
                    channelsPerTopic.merge(topics.get(channel), 1, Integer::sum);
                }
            }
        }
        return new Results(ads.size(), common.size(), coverage, withTopic, targets == null ? null : targetValues.length,
                channelsPerTopic, results);
    }

    /**
     * Indexes of the ad posts whose channel has another ad post, or a seeded sample of at most
     * {@code max} of them, in index order.
     */
    static int[] queries(long[] channels, int max, long seed) {
        Map<Long, Integer> perChannel = new HashMap<>();
        for (long channel : channels) {
            perChannel.merge(channel, 1, Integer::sum);
        }
        int[] eligible = java.util.stream.IntStream.range(0, channels.length)
                .filter(i -> perChannel.get(channels[i]) > 1).toArray();
        if (eligible.length <= max) {
            return eligible;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < max; i++) {
            int swap = i + random.nextInt(eligible.length - i);
            int tmp = eligible[i];
            eligible[i] = eligible[swap];
            eligible[swap] = tmp;
        }
        int[] sample = Arrays.copyOf(eligible, max);
        Arrays.sort(sample);
        return sample;
    }
}
