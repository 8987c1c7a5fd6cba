package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime and PyTorch on the same tiny encoder, and settings read from model folders. */
class EnginesTest {
    private static final Map<String, Object> CLS_RAW = Map.of("max_tokens", 128, "pooling", "cls", "normalize", false);

    @TempDir
    Path dir;

    @Test
    void bothEnginesReproduceTheReferenceOutput() throws Exception {
        long[] ids = TinyModels.referenceIds();
        float[] expected = TinyModels.referenceVector();
        Encoder.Tokenized input = new Encoder.Tokenized(new long[][] {ids}, new long[][] {new long[ids.length]},
                new int[] {ids.length}, new boolean[] {false});

        for (String weights : List.of("model.onnx", "model.pt")) {
            try (Encoder encoder = Encoder.load(ModelSpec.read(TinyModels.folder(dir, weights, weights, CLS_RAW), Map.of()))) {
                float[] actual = encoder.embed(input, 8192).vectors()[0];

                for (int d = 0; d < expected.length; d++) {
                    assertThat(actual[d]).as("%s, dimension %d", weights, d).isCloseTo(expected[d], Offset.offset(1e-4f));
                }
            }
        }
    }

    @Test
    void onnxAndTorchScriptGiveTheSameVectors() {
        Map<String, Object> mean = Map.of("max_tokens", 128, "pooling", "mean", "normalize", true);
        List<String> texts = List.of("Короткий пост", "Пост подлиннее, с запятой и цифрами 2024 года, про рекламу",
                "third text in English");
        try (Encoder onnx = Encoder.load(ModelSpec.read(TinyModels.folder(dir, "onnx", "model.onnx", mean), Map.of()));
             Encoder torch = Encoder.load(ModelSpec.read(TinyModels.folder(dir, "pt", "model.pt", mean), Map.of()))) {
            float[][] a = onnx.embedTexts(texts, 8192).vectors();
            float[][] b = torch.embedTexts(texts, 8192).vectors();

            assertThat(torch.spec().engine()).isEqualTo("PyTorch");
            for (int i = 0; i < texts.size(); i++) {
                assertThat(TestModels.cosine(a[i], b[i])).as(texts.get(i)).isGreaterThan(0.99999);
            }
        }
    }

    @Test
    void eachModelGetsTheInputsItDeclares() {
        Path twoInputs = TinyModels.folder(dir, "tiny", "model.onnx", Map.of("max_tokens", 128));
        try (Encoder e5 = Encoder.load(TestModels.bundled());
             Encoder tiny = Encoder.load(ModelSpec.read(twoInputs, Map.of()))) {
            float[] a = e5.embedTexts(List.of("пост"), 8192).vectors()[0];
            float[] b = tiny.embedTexts(List.of("пост"), 8192).vectors()[0];

            assertThat(e5.inputs()).containsExactly("input_ids", "attention_mask", "token_type_ids");
            assertThat(tiny.inputs()).containsExactly("input_ids", "attention_mask");
            assertThat(a).hasSize(384);
            assertThat(b).hasSize(16);
            assertThat(Pooling.isUnit(a, 1e-5)).isTrue();
            assertThat(Pooling.isUnit(b, 1e-5)).isTrue();
        }
    }

    @Test
    void shortPostAloneAndInBatchAgreeWithoutQuantization() {
        Map<String, Object> mean = Map.of("max_tokens", 128, "pooling", "mean", "normalize", true);
        String shortPost = "Скидки на ноутбуки";
        String fortyTokens = "Длинный пост про погоду в городе на выходных.";
        try (Encoder encoder = Encoder.load(ModelSpec.read(TinyModels.folder(dir, "tiny", "model.onnx", mean), Map.of()))) {
            float[] alone = encoder.embedTexts(List.of(shortPost), 8192).vectors()[0];
            float[] inBatch = encoder.embedTexts(List.of(shortPost, fortyTokens), 8192).vectors()[0];

            assertThat(encoder.countTokens(List.of(fortyTokens))[0]).isGreaterThanOrEqualTo(40);
            assertThat(TestModels.cosine(alone, inBatch)).isGreaterThanOrEqualTo(0.9999);
        }
    }

    @Test
    void poolingAndNormalizationComeFromTheModelFolder() {
        Path bgeStyle = TinyModels.huggingFaceFolder(dir, "bge-style", "xlm-roberta", 130, true);
        ModelSpec bge = ModelSpec.read(bgeStyle, Map.of());
        ModelSpec e5 = TestModels.bundled();

        assertThat(bge.pooling()).isEqualTo(Pooling.CLS);
        assertThat(bge.normalize()).isTrue();
        assertThat(bge.maxTokens()).as("130 positions minus padding offset 2").isEqualTo(128);
        assertThat(e5.pooling()).isEqualTo(Pooling.MEAN);
        try (Encoder clsEncoder = Encoder.load(bge); Encoder meanEncoder = Encoder.load(e5)) {
            for (float[] v : List.of(clsEncoder.embedTexts(List.of("один пост"), 8192).vectors()[0],
                    meanEncoder.embedTexts(List.of("один пост"), 8192).vectors()[0])) {
                assertThat(Pooling.isUnit(v, 1e-5)).isTrue();
            }
        }
    }

    @Test
    void inputLongerThanThePositionTableIsCut() {
        Path model = TinyModels.huggingFaceFolder(dir, "short-positions", "xlm-roberta", 130, false);
        String post = "Очень длинный русский пост. ".repeat(40);

        try (Encoder encoder = Encoder.load(ModelSpec.read(model, Map.of()))) {
            Encoder.Embedded result = encoder.embedTexts(List.of(post), 8192);

            assertThat(result.tokenCounts()[0]).isGreaterThan(700);
            assertThat(result.truncated()[0]).isTrue();
            assertThat(Pooling.isUnit(result.vectors()[0], 1e-5)).isTrue();
        }
    }
}
