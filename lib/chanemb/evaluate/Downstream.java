package chanemb.evaluate;

import chanemb.Database;
import chanemb.SourceSchema;
import chanemb.Sql;
import chanemb.UserException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Trainer;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.baseline.DummyRegressionTrainer;
import org.tribuo.regression.evaluation.RegressionEvaluator;
import org.tribuo.regression.liblinear.LibLinearRegressionTrainer;
import org.tribuo.regression.liblinear.LinearRegressionType;

/**
 * Usefulness downstream: how well a ridge regression on the channel vectors predicts a target
 * column of the ad-post table for later ad posts, against a baseline that ignores the vectors.
 *
 * <p>The ad posts with a target, in date order, are cut into {@code folds + 1} consecutive
 * blocks. Fold f trains on blocks 0 to f-1 and tests on block f, so every model is tested on ad
 * posts later than all of its training ones. The baseline predicts the training mean (Tribuo's
 * {@link DummyRegressionTrainer}). The ridge model is Tribuo's liblinear L2-regularized L2-loss
 * regression with an insensitivity of 0, which minimizes 0.5 |w|^2 + C * sum of squared errors:
 * ridge regression with lambda = 1 / (2C). Targets and vectors are centred on the training means
 * first, so the bias term that liblinear regularizes stays near 0. C is chosen from {@link #COSTS}
 * on the training blocks alone: fit on their first 80% and score on the last 20%, again in date
 * order. R^2 is Tribuo's, on the test block.
 */
public final class Downstream {
    static final double[] COSTS = {1e-3, 1e-2, 1e-1, 1, 10, 100, 1000};
    private static final RegressionFactory FACTORY = new RegressionFactory();
    private static final String DIMENSION = "target";
    /** Minimum ad posts of a test block and of a training set. */
    static final int MIN_BLOCK = 5;

    private Downstream() {
    }

    /** One fold: training and test sizes, R^2 of the vectors and of the baseline, and the C chosen. */
    public record Fold(int fold, int train, int test, double r2, double baselineR2, double cost) {
    }

    /** Folds of one run, with the mean and the standard deviation of R^2 across them. */
    public record Result(int adPosts, List<Fold> folds) {
        public double meanR2() {
            return folds.stream().mapToDouble(Fold::r2).average().orElse(Double.NaN);
        }

        public double stdR2() {
            return std(folds.stream().mapToDouble(Fold::r2).toArray());
        }

        public double meanBaselineR2() {
            return folds.stream().mapToDouble(Fold::baselineR2).average().orElse(Double.NaN);
        }

        public double stdBaselineR2() {
            return std(folds.stream().mapToDouble(Fold::baselineR2).toArray());
        }
    }

    /** Reads the numeric target column of the ad-post table by ad post id, leaving out NULLs. */
    public static Map<Long, Double> targets(Database db, SourceSchema s, String column) {
        String quoted = Sql.quote(Sql.identifier(column, "--target"));
        try (Connection connection = db.connect()) {
            if (!hasColumn(connection, s, column)) {
                throw new UserException("evaluate.target-missing", column, s.ads());
            }
            Map<Long, Double> targets = new HashMap<>();
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT " + s.adId() + ", CAST(" + quoted
                         + " AS double precision) FROM " + s.ads().sql() + " WHERE " + quoted + " IS NOT NULL")) {
                while (rs.next()) {
                    double value = rs.getDouble(2);
                    if (Double.isFinite(value)) {
                        targets.put(rs.getLong(1), value);
                    }
                }
            } catch (SQLException e) {
                throw new UserException(e, "evaluate.target-invalid", column, s.ads(), e.getMessage());
            }
            return targets;
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot read " + s.ads() + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasColumn(Connection connection, SourceSchema s, String column) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ? AND column_name = ?")) {
            statement.setString(1, s.ads().schema());
            statement.setString(2, s.ads().name());
            statement.setString(3, column);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }

    /** Smallest number of ad posts with a target that {@code folds} folds need. */
    public static int minimumAdPosts(int folds) {
        return (folds + 1) * MIN_BLOCK;
    }

    /**
     * Runs the time-ordered folds.
     *
     * @param vectors unit vectors of the ad posts with a target, in date order
     * @param targets their targets, parallel to {@code vectors}
     */
    public static Result evaluate(float[][] vectors, double[] targets, int folds) {
        Topics.quietTribuo();
        int n = targets.length;
        if (n < minimumAdPosts(folds)) {
            return new Result(n, List.of());
        }
        List<Fold> results = new ArrayList<>();
        for (int fold = 1; fold <= folds; fold++) {
            int trainEnd = blockStart(n, folds + 1, fold);
            int testEnd = blockStart(n, folds + 1, fold + 1);
            double cost = chooseCost(vectors, targets, 0, trainEnd);
            double r2 = fitAndScore(new LibLinearRegressionTrainer(ridge(), cost, 1000, 1e-4, 0), vectors, targets,
                    0, trainEnd, testEnd);
            double baseline = fitAndScore(DummyRegressionTrainer.createMeanTrainer(), vectors, targets, 0, trainEnd,
                    testEnd);
            results.add(new Fold(fold, trainEnd, testEnd - trainEnd, r2, baseline, cost));
        }
        return new Result(n, results);
    }

    /** First index of block {@code block} when n items are cut into {@code blocks} nearly equal blocks. */
    static int blockStart(int n, int blocks, int block) {
        return (int) ((long) n * block / blocks);
    }

    /** Returns the C whose model, fit on the first 80% of the range, scores best on the last 20%. */
    static double chooseCost(float[][] vectors, double[] targets, int from, int to) {
        int split = from + (int) Math.round((to - from) * 0.8);
        double best = COSTS[0];
        double bestR2 = Double.NEGATIVE_INFINITY;
        for (double cost : COSTS) {
            double r2 = fitAndScore(new LibLinearRegressionTrainer(ridge(), cost, 1000, 1e-4, 0), vectors, targets, from,
                    split, to);
            if (r2 > bestR2) {
                best = cost;
                bestR2 = r2;
            }
        }
        return best;
    }

    private static LinearRegressionType ridge() {
        return new LinearRegressionType(LinearRegressionType.LinearType.L2R_L2LOSS_SVR);
    }

    /** Trains on [from, split) and returns R^2 on [split, to), after centring on the training means. */
    static double fitAndScore(Trainer<Regressor> trainer, float[][] vectors, double[] targets, int from, int split,
                              int to) {
        int dimension = vectors[from].length;
        double targetMean = 0;
        double[] vectorMean = new double[dimension];
        for (int i = from; i < split; i++) {
            targetMean += targets[i];
            for (int d = 0; d < dimension; d++) {
                vectorMean[d] += vectors[i][d];
            }
        }
        targetMean /= split - from;
        for (int d = 0; d < dimension; d++) {
            vectorMean[d] /= split - from;
        }
        String[] names = Topics.featureNames(dimension);
        MutableDataset<Regressor> train = dataset("train", vectors, targets, from, split, names, vectorMean, targetMean);
        MutableDataset<Regressor> test = dataset("test", vectors, targets, split, to, names, vectorMean, targetMean);
        Model<Regressor> model = trainer.train(train);
        // R^2 does not change when the same constant is taken from targets and predictions alike.
        return new RegressionEvaluator().evaluate(model, test).averageR2();
    }

    private static MutableDataset<Regressor> dataset(String name, float[][] vectors, double[] targets, int from, int to,
                                                     String[] names, double[] vectorMean, double targetMean) {
        MutableDataset<Regressor> dataset = new MutableDataset<>(new SimpleDataSourceProvenance(name, FACTORY), FACTORY);
        for (int i = from; i < to; i++) {
            double[] values = new double[names.length];
            for (int d = 0; d < names.length; d++) {
                values[d] = vectors[i][d] - vectorMean[d];
            }
            dataset.add(new ArrayExample<>(new Regressor(DIMENSION, targets[i] - targetMean), names, values));
        }
        return dataset;
    }

    /** Returns the sample standard deviation: 0 for one value, NaN for none. */
    static double std(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        if (values.length == 1) {
            return 0;
        }
        double mean = java.util.Arrays.stream(values).average().orElse(0);
        double sum = 0;
        for (double value : values) {
            sum += (value - mean) * (value - mean);
        }
        return Math.sqrt(sum / (values.length - 1));
    }
}
