package chanemb.lengths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DistributionTest {
    @Test
    void percentilesOfOneToHundred() {
        int[] values = new int[100];
        for (int i = 0; i < 100; i++) {
            values[99 - i] = i + 1;
        }

        Distribution d = Distribution.of(values);

        assertThat(d.count()).isEqualTo(100);
        assertThat(d.min()).isEqualTo(1);
        assertThat(d.p25()).isCloseTo(25.75, within(1e-9));
        assertThat(d.p50()).isCloseTo(50.5, within(1e-9));
        assertThat(d.p75()).isCloseTo(75.25, within(1e-9));
        assertThat(d.p90()).isCloseTo(90.1, within(1e-9));
        assertThat(d.p95()).isCloseTo(95.05, within(1e-9));
        assertThat(d.p99()).isCloseTo(99.01, within(1e-9));
        assertThat(d.max()).isEqualTo(100);
        assertThat(d.mean()).isCloseTo(50.5, within(1e-9));
        // Sample standard deviation of 1..100: sqrt(100 * 101 / 12).
        assertThat(d.std()).isCloseTo(Math.sqrt(100 * 101 / 12.0), within(1e-9));
    }

    @Test
    void medianOfEvenCountInterpolates() {
        assertThat(Distribution.of(new int[] {4, 1, 3, 2}).p50()).isEqualTo(2.5);
    }

    @Test
    void randomValuesMatchDirectComputation() {
        Random random = new Random(7);
        int[] values = new int[10_001];
        for (int i = 0; i < values.length; i++) {
            values[i] = (int) Math.exp(random.nextGaussian() * 1.5 + 6);
        }
        int[] sorted = values.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(values).average().orElseThrow();
        double squares = Arrays.stream(values).mapToDouble(v -> (v - mean) * (v - mean)).sum();

        Distribution d = Distribution.of(values);

        assertThat(d.mean()).isCloseTo(mean, within(1e-9));
        assertThat(d.std()).isCloseTo(Math.sqrt(squares / (values.length - 1)), within(1e-9));
        // 10,001 values: percentile p sits exactly on rank 100 * p.
        assertThat(d.p25()).isEqualTo(sorted[2500]);
        assertThat(d.p50()).isEqualTo(sorted[5000]);
        assertThat(d.p75()).isEqualTo(sorted[7500]);
        assertThat(d.p90()).isEqualTo(sorted[9000]);
        assertThat(d.p95()).isEqualTo(sorted[9500]);
        assertThat(d.p99()).isEqualTo(sorted[9900]);
        assertThat(d.max()).isEqualTo(sorted[10_000]);
    }

    @Test
    void emptyAndSingleValue() {
        Distribution empty = Distribution.of(new int[0]);
        Distribution one = Distribution.of(new int[] {7});

        assertThat(empty.count()).isZero();
        assertThat(empty.mean()).isNaN();
        assertThat(one.p99()).isEqualTo(7);
        assertThat(one.std()).isNaN();
    }

    @Test
    void countOverIsStrictlyGreater() {
        assertThat(Distribution.countOver(new int[] {511, 512, 513, 9000}, 512)).isEqualTo(2);
    }
}
