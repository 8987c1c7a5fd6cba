package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the encoder options turn into batches and engine threads. */
class EncoderThreadsTest {
    @Test
    void onnxDefaultHalvesCores() {
        EncoderOptions options = new EncoderOptions();

        assertThat(options.threads("OnnxRuntime", 2)).isEqualTo(new Encoder.Threads(2, 1));
        assertThat(options.threads("OnnxRuntime", 16)).isEqualTo(new Encoder.Threads(2, 8));
        assertThat(options.threads("OnnxRuntime", 1)).isEqualTo(new Encoder.Threads(1, 0));
    }

    @Test
    void torchScriptDefaultOneBatch() {
        assertThat(new EncoderOptions().threads("PyTorch", 8)).isEqualTo(new Encoder.Threads(1, 0));
    }

    @Test
    void givenValuesWin() {
        EncoderOptions options = new EncoderOptions();
        options.parallelBatches = 3;
        assertThat(options.threads("OnnxRuntime", 12)).isEqualTo(new Encoder.Threads(3, 4));

        options.threadsPerBatch = 2;
        assertThat(options.threads("OnnxRuntime", 12)).isEqualTo(new Encoder.Threads(3, 2));

        options.parallelBatches = 1;
        options.threadsPerBatch = 0;
        assertThat(options.threads("OnnxRuntime", 12)).isEqualTo(new Encoder.Threads(1, 0));
    }
}
