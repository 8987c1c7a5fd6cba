package chanemb.evaluate;

import chanemb.Database;
import chanemb.SourceSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.baseline.DummyClassifierTrainer;
import org.tribuo.classification.ensemble.VotingCombiner;
import org.tribuo.classification.evaluation.LabelEvaluation;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.common.nearest.KNNModel;
import org.tribuo.common.nearest.KNNTrainer;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.distance.CosineDistance;
import org.tribuo.math.neighbour.NeighboursQueryFactoryType;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Topic: k-nearest-neighbour prediction of the dominant topic of an ad post's channel, from ad
 * posts of other channels only, with Tribuo's {@link KNNTrainer} (cosine distance, majority vote)
 * and {@link LabelEvaluator}.
 *
 * <p>A channel's dominant topic is the most frequent label of its posts; labels in the ignored
 * list (by default the ad label {@code advertisement}) do not count, and a tie goes to the label
 * first in alphabetical order. Channels are split into folds, one channel per fold when there are
 * no more channels than folds. The ad posts of one fold are classified by a model of all other
 * folds, so no neighbour comes from the query's own channel.
 */
public final class Topics {
    private static final LabelFactory LABELS = new LabelFactory();
    /** Held here, because java.util.logging keeps only weak references to configured loggers. */
    private static final Logger TRIBUO_LOG = Logger.getLogger("org.tribuo");

    private Topics() {
    }

    /** Accuracy and macro-averaged F1 over the query ad posts that have a topic. */
    public record Result(int queries, int channels, int topics, double accuracy, double macroF1, int k, int folds) {
    }

    /**
     * Reads the dominant topic of every channel whose posts have a label, or empty when the posts
     * table has no label column.
     */
    public static Optional<Map<Long, String>> dominantTopics(Database db, SourceSchema s, Collection<String> ignored) {
        try (Connection connection = db.connect()) {
            if (!hasColumn(connection, s)) {
                return Optional.empty();
            }
            String sql = "SELECT " + s.postChannelId() + ", " + s.postLabel() + ", count(*) FROM " + s.posts().sql()
                    + " WHERE " + s.postLabel() + " IS NOT NULL AND " + s.postLabel() + " <> ''"
                    + " AND NOT (" + s.postLabel() + " = ANY (?)) GROUP BY 1, 2";
            Map<Long, TreeMap<String, Long>> counts = new HashMap<>();
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setArray(1, connection.createArrayOf("text", ignored.toArray()));
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        counts.computeIfAbsent(rs.getLong(1), c -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3));
                    }
                }
            }
            Map<Long, String> topics = new HashMap<>();
            counts.forEach((channel, labels) -> topics.put(channel, dominant(labels)));
            return Optional.of(topics);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read post labels from " + s.posts() + ": " + e.getMessage(), e);
        }
    }

    /** Returns the label with the highest count. The map is sorted, so a tie goes to the first label. */
    static String dominant(TreeMap<String, Long> labels) {
        String best = null;
        long bestCount = -1;
        for (Map.Entry<String, Long> entry : labels.entrySet()) {
            if (entry.getValue() > bestCount) {
                best = entry.getKey();
                bestCount = entry.getValue();
            }
        }
        return best;
    }

    private static boolean hasColumn(Connection connection, SourceSchema s) throws SQLException {
        String column = s.postLabel().substring(1, s.postLabel().length() - 1);
        try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = ?")) {
            statement.setString(1, s.posts().schema());
            statement.setString(2, s.posts().name());
            statement.setString(3, column);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    /**
     * Classifies the queries that have a topic.
     *
     * @param channels channel of each ad post, parallel to {@code vectors}
     * @param topics   dominant topic by channel; ad posts of channels without one are left out
     * @param queries  indexes of the ad posts to classify
     * @param folds    maximum number of channel folds
     */
    public static Result evaluate(long[] channels, float[][] vectors, Map<Long, String> topics, int[] queries, int k,
                                  int folds, long seed) {
        quietTribuo();
        Map<Long, Integer> foldOf = assignFolds(channels, topics, folds, seed);
        int foldCount = foldOf.isEmpty() ? 0 : (int) foldOf.values().stream().distinct().count();
        String[] names = featureNames(vectors.length == 0 ? 0 : vectors[0].length);

        List<Prediction<Label>> predictions = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        Set<Long> queryChannels = new LinkedHashSet<>();
        for (int fold = 0; fold < foldCount; fold++) {
            MutableDataset<Label> train = new MutableDataset<>(new SimpleDataSourceProvenance("other folds", LABELS), LABELS);
            List<Example<Label>> test = new ArrayList<>();
            for (int i = 0; i < channels.length; i++) {
                Integer f = foldOf.get(channels[i]);
                if (f != null && f != fold) {
                    train.add(example(topics.get(channels[i]), names, vectors[i]));
                }
            }
            for (int query : queries) {
                Integer f = foldOf.get(channels[query]);
                if (f != null && f == fold) {
                    test.add(example(topics.get(channels[query]), names, vectors[query]));
                    queryChannels.add(channels[query]);
                }
            }
            if (test.isEmpty() || train.size() == 0) {
                continue;
            }
            KNNTrainer<Label> trainer = new KNNTrainer<>(Math.min(k, train.size()), new CosineDistance(),
                    Runtime.getRuntime().availableProcessors(), new VotingCombiner(), KNNModel.Backend.THREADPOOL,
                    NeighboursQueryFactoryType.BRUTE_FORCE);
            for (Prediction<Label> prediction : trainer.train(train).predict(test)) {
                predictions.add(prediction);
                seen.add(prediction.getOutput().getLabel());
                seen.add(prediction.getExample().getOutput().getLabel());
            }
        }
        if (predictions.isEmpty()) {
            return new Result(0, queryChannels.size(), seen.size(), Double.NaN, Double.NaN, k, foldCount);
        }
        LabelEvaluation evaluation = new LabelEvaluator().evaluate(domain(seen, names), predictions,
                new SimpleDataSourceProvenance("queries of all folds", LABELS));
        return new Result(predictions.size(), queryChannels.size(), seen.size(), evaluation.accuracy(),
                evaluation.macroAveragedF1(), k, foldCount);
    }

    /** Channel folds: channels with a topic, in a seeded random order, dealt out in turn. */
    static Map<Long, Integer> assignFolds(long[] channels, Map<Long, String> topics, int folds, long seed) {
        List<Long> withTopic = new ArrayList<>(new java.util.TreeSet<>(
                java.util.Arrays.stream(channels).boxed().filter(topics::containsKey).toList()));
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = withTopic.size() - 1; i > 0; i--) {
            java.util.Collections.swap(withTopic, i, random.nextInt(i + 1));
        }
        int count = Math.min(folds, withTopic.size());
        Map<Long, Integer> foldOf = new HashMap<>();
        for (int i = 0; i < withTopic.size(); i++) {
            foldOf.put(withTopic.get(i), i % count);
        }
        return foldOf;
    }

    /**
     * Builds a model whose only use is to name the labels that the metrics average over: every true
     * and every predicted label. Tribuo's evaluator takes its label set from a model, and the models of the
     * folds each miss the topics that only the held-out channels have.
     */
    private static Model<Label> domain(Set<String> labels, String[] names) {
        MutableDataset<Label> all = new MutableDataset<>(new SimpleDataSourceProvenance("labels", LABELS), LABELS);
        double[] values = new double[names.length];
        java.util.Arrays.fill(values, 1);
        for (String label : labels) {
            all.add(new ArrayExample<>(new Label(label), names, values));
        }
        return DummyClassifierTrainer.createMostFrequentTrainer().train(all);
    }

    static Example<Label> example(String label, String[] names, float[] vector) {
        return new ArrayExample<>(new Label(label), names, toDoubles(vector));
    }

    static String[] featureNames(int dimension) {
        String[] names = new String[dimension];
        for (int i = 0; i < dimension; i++) {
            names[i] = String.format("d%05d", i);
        }
        return names;
    }

    static double[] toDoubles(float[] vector) {
        double[] values = new double[vector.length];
        for (int i = 0; i < vector.length; i++) {
            values[i] = vector[i];
        }
        return values;
    }

    /** Turns off Tribuo's informational java.util.logging lines, which it writes for each model. */
    static void quietTribuo() {
        TRIBUO_LOG.setLevel(Level.WARNING);
    }
}
