package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WindowPoolingTest {
    @Test
    void meanOfTwoVectorsIsNormalized() {
        float[] pooled = WindowPooling.pool(new float[][] {{1, 0}, {0, 1}}, WindowPooling.weights(2,
                WindowPooling.Weights.MEAN, 1));

        assertThat(pooled[0]).isCloseTo((float) Math.sqrt(0.5), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(pooled[1]).isCloseTo((float) Math.sqrt(0.5), org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void recencyWeightsFavourTheNewestPost() {
        assertThat(WindowPooling.weights(3, WindowPooling.Weights.RECENCY, 0.5)).containsExactly(0.25, 0.5, 1.0);
    }

    @Test
    void opposingVectorsGiveNoVectorInsteadOfNaN() {
        float[] pooled = WindowPooling.pool(new float[][] {{1, 0}, {-1, 0}}, new double[] {1, 1});

        assertThat(pooled).isNull();
    }

    @Test
    void windowWithoutVectorsGivesNull() {
        assertThat(WindowPooling.pool(new float[][] {null, null}, new double[] {1, 1})).isNull();
    }
}
