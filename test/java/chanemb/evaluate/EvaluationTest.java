package chanemb.evaluate;

import static chanemb.evaluate.EvaluateFixtures.mix;
import static chanemb.evaluate.EvaluateFixtures.randomUnit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import chanemb.Dataset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics on vectors built with a known structure: channel, topic and noise directions. */
class EvaluationTest {
    private static final int DIMENSION = 48;

    @TempDir
    Path dir;

    /** Ad posts of {@code topics} x {@code channelsPerTopic} channels, with channel c in topic c % topics. */
    private record Sample(long[] channels, float[][] good, Map<Long, String> topics, double[] topicEffect) {
    }

    private static Sample sample(int topics, int channelsPerTopic, int adsPerChannel, long seed) {
        Random random = new Random(seed);
        float[][] topicDirections = new float[topics][];
        double[] effect = new double[topics];
        for (int t = 0; t < topics; t++) {
            topicDirections[t] = randomUnit(random, DIMENSION);
            effect[t] = random.nextGaussian();
        }
        int channelCount = topics * channelsPerTopic;
        long[] channels = new long[channelCount * adsPerChannel];
        float[][] good = new float[channels.length][];
        Map<Long, String> topicOf = new HashMap<>();
        for (int c = 0; c < channelCount; c++) {
            float[] channelDirection = randomUnit(random, DIMENSION);
            topicOf.put(1000L + c, "topic_" + c % topics);
            for (int a = 0; a < adsPerChannel; a++) {
                int i = c * adsPerChannel + a;
                channels[i] = 1000L + c;
                good[i] = mix(new double[] {1.0, 0.7, 0.5}, topicDirections[c % topics], channelDirection,
                        randomUnit(random, DIMENSION));
            }
        }
        return new Sample(channels, good, topicOf, effect);
    }

    private static int[] all(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    @Test
    void identityRanksChannelVectorsAboveShuffledOnes() {
        Sample s = sample(4, 3, 8, 1);

        Identity.Result good = Identity.evaluate(s.channels(), s.good(), all(s.channels().length), 10);
        Identity.Result shuffled = Identity.evaluate(s.channels(), EvaluateFixtures.shuffled(s.good(), 2),
                all(s.channels().length), 10);

        assertThat(good.meanReciprocalRank()).isGreaterThan(0.9);
        assertThat(good.recallAtK()).isGreaterThan(0.8);
        assertThat(shuffled.meanReciprocalRank()).isLessThan(0.5);
        assertThat(shuffled.recallAtK()).isLessThan(0.3);
    }

    @Test
    void identityCountsTiesAgainstTheRun() {
        long[] channels = {1, 1, 1, 2, 2, 2};
        float[] same = {1, 0};
        float[][] vectors = {same, same, same, same, same, same};

        double[] score = Identity.score(channels, vectors, 0, 2);

        // Both ad posts of channel 1 tie with the 3 of channel 2, which rank first: ranks 4 and 5.
        assertThat(score[0]).isEqualTo(0.25);
        assertThat(score[1]).isZero();
    }

    @Test
    void identityRanksOfOneQuery() {
        long[] channels = {1, 1, 2, 1};
        float[][] vectors = {unit(0), unit(10), unit(30), unit(50)};

        double[] score = Identity.score(channels, vectors, 0, 2);

        // By similarity to the query: 10 degrees (rank 1), 30 (other channel), 50 (rank 3).
        assertThat(score[0]).isEqualTo(1.0);
        assertThat(score[1]).isEqualTo(0.5);
    }

    @Test
    void topicPredictionBeatsShuffledVectors() {
        Sample s = sample(4, 3, 6, 3);

        Topics.Result good = Topics.evaluate(s.channels(), s.good(), s.topics(), all(s.channels().length), 5, 20, 1);
        Topics.Result shuffled = Topics.evaluate(s.channels(), EvaluateFixtures.shuffled(s.good(), 4), s.topics(),
                all(s.channels().length), 5, 20, 1);

        assertThat(good.queries()).isEqualTo(72);
        assertThat(good.folds()).isEqualTo(12);
        assertThat(good.topics()).isEqualTo(4);
        assertThat(good.accuracy()).isGreaterThan(0.9);
        assertThat(good.macroF1()).isGreaterThan(0.9);
        assertThat(shuffled.accuracy()).isLessThan(0.5);
    }

    @Test
    void topicNeighboursNeverComeFromTheQueryChannel() {
        // Each channel has its own direction and no topic direction: only the query's own channel
        // could tell its topic, so a model that leaked it would score near 1.
        Random random = new Random(5);
        long[] channels = new long[12 * 6];
        float[][] vectors = new float[channels.length][];
        Map<Long, String> topics = new HashMap<>();
        for (int c = 0; c < 12; c++) {
            float[] own = randomUnit(random, DIMENSION);
            topics.put((long) c, "topic_" + c % 4);
            for (int a = 0; a < 6; a++) {
                channels[c * 6 + a] = c;
                vectors[c * 6 + a] = mix(new double[] {1, 0.2}, own, randomUnit(random, DIMENSION));
            }
        }

        Topics.Result result = Topics.evaluate(channels, vectors, topics, all(channels.length), 5, 20, 1);

        assertThat(result.accuracy()).isLessThan(0.5);
    }

    @Test
    void topicMacroF1CountsTopicsNoOtherChannelHas() {
        // Topic "only" has one channel: with neighbours from other channels it can never be
        // predicted, and macro F1 must count it as 0 rather than leave it out.
        Sample s = sample(2, 3, 5, 6);
        Map<Long, String> topics = new HashMap<>(s.topics());
        topics.put(1000L, "only");

        Topics.Result result = Topics.evaluate(s.channels(), s.good(), topics, all(s.channels().length), 3, 20, 1);

        assertThat(result.topics()).isEqualTo(3);
        assertThat(result.macroF1()).isLessThan(0.7);
    }

    @Test
    void dominantTopicTieGoesToTheFirstLabel() {
        java.util.TreeMap<String, Long> labels = new java.util.TreeMap<>(Map.of("political", 5L, "it", 5L, "other", 2L));

        assertThat(Topics.dominant(labels)).isEqualTo("it");
    }

    @Test
    void stabilityPairsConsecutiveAdPostsOfAChannel() {
        long day = 86_400_000L;
        long[] channels = {1, 2, 1, 1};
        long[] dates = {0, day / 4, day / 2, 10 * day};
        float[][] vectors = {unit(0), unit(90), unit(60), unit(60)};

        Stability.Result result = Stability.evaluate(channels, dates, vectors);

        assertThat(result.pairs()).isEqualTo(2);
        assertThat(result.buckets().get(0).pairs()).isEqualTo(1);
        assertThat(result.buckets().get(0).meanCosine()).isCloseTo(0.5, within(1e-6));
        assertThat(result.buckets().get(2).pairs()).isEqualTo(1);
        assertThat(result.buckets().get(2).meanCosine()).isCloseTo(1.0, within(1e-6));
        assertThat(result.meanCosine()).isCloseTo(0.75, within(1e-6));
    }

    @Test
    void downstreamFindsTopicSignalAndNoneInRandomVectors() {
        Sample s = sample(6, 5, 12, 7);
        Random random = new Random(8);
        int n = s.channels().length;
        double[] targets = new double[n];
        float[][] noise = new float[n][];
        for (int i = 0; i < n; i++) {
            int topic = Integer.parseInt(s.topics().get(s.channels()[i]).substring(6));
            targets[i] = 0.5 + 0.15 * s.topicEffect()[topic] + 0.08 * random.nextGaussian();
            noise[i] = randomUnit(random, DIMENSION);
        }
        // Ad posts in date order come from channels in turn, as in real data.
        int[] order = shuffledOrder(n, 9);

        Downstream.Result carrying = Downstream.evaluate(pick(s.good(), order), pick(targets, order), 5);
        Downstream.Result random1 = Downstream.evaluate(pick(noise, order), pick(targets, order), 5);

        assertThat(carrying.folds()).hasSize(5);
        assertThat(carrying.meanR2()).isGreaterThan(0.4);
        assertThat(random1.meanR2()).isBetween(-0.3, 0.1);
        assertThat(carrying.meanBaselineR2()).isBetween(-0.3, 0.05);
    }

    @Test
    void downstreamNeedsEnoughAdPosts() {
        Downstream.Result result = Downstream.evaluate(new float[10][], new double[10], 5);

        assertThat(result.folds()).isEmpty();
        assertThat(Downstream.minimumAdPosts(5)).isEqualTo(30);
    }

    @Test
    void foldsAreConsecutiveBlocks() {
        assertThat(Downstream.blockStart(100, 6, 0)).isZero();
        assertThat(Downstream.blockStart(100, 6, 1)).isEqualTo(16);
        assertThat(Downstream.blockStart(100, 6, 6)).isEqualTo(100);
    }

    @Test
    void onlyAdPostsInEveryRunAreEvaluated() {
        List<AdPosts.AdPost> ads = List.of(new AdPosts.AdPost(1, 10, 0), new AdPosts.AdPost(2, 10, 1),
                new AdPosts.AdPost(3, 10, 2), new AdPosts.AdPost(4, 20, 3));
        VectorRun a = new VectorRun("a", null, null, Map.of(1L, unit(0), 2L, unit(5), 3L, unit(10), 4L, unit(90)),
                2, 0);
        VectorRun b = new VectorRun("b", null, null, Map.of(1L, unit(0), 3L, unit(10), 4L, unit(90)), 2, 0);

        Evaluation.Results results = Evaluation.run(ads, List.of(a, b), null, null, Evaluation.Settings.defaults());

        assertThat(results.common()).isEqualTo(3);
        assertThat(results.coverage()).containsEntry("a", 4).containsEntry("b", 3);
        assertThat(results.runs().get(0).identity().queries()).isEqualTo(2);
    }

    @Test
    void querySampleIsBoundedAndSeeded() {
        long[] channels = new long[500];
        for (int i = 0; i < channels.length; i++) {
            channels[i] = i % 50;
        }

        int[] first = Evaluation.queries(channels, 100, 1);

        assertThat(first).hasSize(100).isSorted().doesNotHaveDuplicates();
        assertThat(Evaluation.queries(channels, 100, 1)).isEqualTo(first);
        assertThat(Evaluation.queries(channels, 1000, 1)).hasSize(500);
    }

    @Test
    void summariesCostCountsCallsTokensAndMoney() throws Exception {
        Path jsonl = dir.resolve("summaries.jsonl");
        Files.writeString(jsonl, String.join("\n",
                "{\"ad_post_id\":1,\"status\":\"ok\",\"tokens_in\":1000,\"tokens_out\":100,\"attempts\":2,"
                        + "\"created\":\"2026-12-01T10:00:00Z\"}",
                "{\"ad_post_id\":2,\"status\":\"failed\",\"tokens_in\":2000,\"tokens_out\":200,\"attempts\":1,"
                        + "\"batch_job\":\"b1\",\"created\":\"2026-12-01T10:01:30Z\"}",
                "{\"ad_post_id\":3,\"status\":\"ok\",\"tokens_in\":0,\"tokens_out\":0,\"attempts\":0,\"reused_from\":1,"
                        + "\"created\":\"2026-12-01T10:00:10Z\"}",
                "{\"ad_post_id\":4,\"status\":\"ok\",\"summary\":\"Кан"), StandardCharsets.UTF_8);

        Costs.Llm llm = Costs.summaries(jsonl, new Costs.Prices(2.0, 6.0, 0.5));
        Costs.Llm withoutPrices = Costs.summaries(jsonl, new Costs.Prices(null, 6.0, 0.5));

        assertThat(llm.records()).isEqualTo(3);
        assertThat(llm.calls()).isEqualTo(3);
        assertThat(llm.tokensIn()).isEqualTo(3000);
        assertThat(llm.tokensOut()).isEqualTo(300);
        assertThat(llm.wallSeconds()).isEqualTo(90.0);
        // 1000 x 2 + 100 x 6 = 2,600 micro-dollars, and half of 2000 x 2 + 200 x 6 for the batch call.
        assertThat(llm.usd()).isCloseTo(0.0052, within(1e-9));
        assertThat(withoutPrices.usd()).isNull();
    }

    @Test
    void manifestCountsOfOldAndNewEmbedOutputs() {
        Dataset.Manifest old = manifest(Map.of("posts_embedded", 3287, "posts_from_cache", 0));
        Dataset.Manifest current = manifest(Map.of("inputs_embedded", 16, "model_calls_saved", 380,
                "tokens_embedded", 298, "seconds", 4.5));

        Costs.Cost oldCost = Costs.encoder(old, null);
        Costs.Cost currentCost = Costs.encoder(current, null);

        assertThat(oldCost.inputsEmbedded()).isEqualTo(3287);
        assertThat(oldCost.tokensEmbedded()).isNull();
        assertThat(oldCost.encoderSeconds()).isNull();
        assertThat(currentCost.inputsFromCache()).isEqualTo(380);
        assertThat(currentCost.tokensEmbedded()).isEqualTo(298);
        assertThat(currentCost.encoderSeconds()).isEqualTo(4.5);
    }

    private static Dataset.Manifest manifest(Map<String, Object> counts) {
        return new Dataset.Manifest("embed", 1, "2026-12-01T00:00:00Z", 0, List.of(), Map.of(), Map.of(), counts);
    }

    private static float[] unit(double degrees) {
        double radians = Math.toRadians(degrees);
        return new float[] {(float) Math.cos(radians), (float) Math.sin(radians)};
    }

    private static int[] shuffledOrder(int n, long seed) {
        List<Integer> order = new java.util.ArrayList<>(java.util.stream.IntStream.range(0, n).boxed().toList());
        java.util.Collections.shuffle(order, new Random(seed));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[][] pick(float[][] values, int[] order) {
        return java.util.Arrays.stream(order).mapToObj(i -> values[i]).toArray(float[][]::new);
    }

    private static double[] pick(double[] values, int[] order) {
        return java.util.Arrays.stream(order).mapToDouble(i -> values[i]).toArray();
    }
}
