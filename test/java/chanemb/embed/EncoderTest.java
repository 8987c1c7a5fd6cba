package chanemb.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chanemb.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real bundled model (quantized e5-small-v2, ONNX) through our DJL code. */
class EncoderTest {
    private static Encoder encoder;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        encoder = Encoder.load(TestModels.bundled());
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void bundledModelDeclaresThreeInputsAnd384Dimensions() {
        assertThat(encoder.inputs()).containsExactly("input_ids", "attention_mask", "token_type_ids");
        assertThat(encoder.dimension()).isEqualTo(384);
    }

    @Test
    void tokenCountsOfFixedStrings() {
        // Counts include [CLS] and [SEP]; the vocabulary is English and lowercased, so Cyrillic
        // words split into letters and emoji become [UNK].
        int[] counts = encoder.countTokens(List.of("query: hello world", "привет", "Привет, мир!", "hello 💵 world",
                "Цена 💵 100₽ 🚀🚀"));

        assertThat(counts).containsExactly(6, 8, 13, 5, 8);
    }

    @Test
    void longInputIsCutToTheLimitAndCounted() {
        String post = "Длинный русский пост про рекламу. ".repeat(25);

        Encoder.Embedded result = encoder.embedTexts(List.of(post, "короткий пост"), 8192);

        assertThat(result.tokenCounts()[0]).isGreaterThan(700);
        assertThat(result.truncated()).containsExactly(true, false);
        assertThat(Pooling.isUnit(result.vectors()[0], 1e-5)).isTrue();
    }

    @Test
    void cutKeepsSpecialTokensAtBothEnds() {
        long[] ids = {101, 5, 6, 7, 8, 102};
        long[] special = {1, 0, 0, 0, 0, 1};

        assertThat(Encoder.cut(ids, special, 4)).containsExactly(101, 5, 6, 102);
    }

    @Test
    void xlmRobertaPositionsGiveA512TokenLimit() throws Exception {
        Path model = copyBundled();
        Files.writeString(model.resolve("config.json"),
                "{\"model_type\": \"xlm-roberta\", \"max_position_embeddings\": 514, \"pad_token_id\": 1}");
        ObjectNode own = (ObjectNode) Json.read(model.resolve(ModelSpec.CONFIG_FILE), com.fasterxml.jackson.databind.JsonNode.class);
        own.remove("max_tokens");
        Json.writeAtomically(model.resolve(ModelSpec.CONFIG_FILE), own);

        assertThat(ModelSpec.read(model, Map.of()).maxTokens()).isEqualTo(512);
    }

    @Test
    void tokenizerTruncationSettingIsIgnored() throws Exception {
        Path model = copyBundled();
        ObjectNode tokenizer = (ObjectNode) Json.read(model.resolve("tokenizer.json"), com.fasterxml.jackson.databind.JsonNode.class);
        tokenizer.putObject("truncation").put("direction", "Right").put("max_length", 128).put("strategy", "LongestFirst")
                .put("stride", 0);
        Json.writeAtomically(model.resolve("tokenizer.json"), tokenizer);
        String text = "слово ".repeat(800);

        try (Encoder own = Encoder.load(ModelSpec.read(model, Map.of()))) {
            Encoder.Embedded result = own.embedTexts(List.of(text), 8192);

            assertThat(own.countTokens(List.of(text))[0]).isGreaterThan(3000);
            assertThat(result.truncated()[0]).isTrue();
            assertThat(result.vectors()[0]).hasSize(384);
        }
    }

    @Test
    void emptyTextNeverReachesTheModel() {
        assertThatThrownBy(() -> encoder.embedTexts(List.of("пост", " \n"), 8192))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sameTextAloneAndInBatchAgree() {
        String text = "Короткий пост о скидках на ноутбуки";
        float[] alone = encoder.embedTexts(List.of(text), 8192).vectors()[0];
        float[] inBatch = encoder.embedTexts(List.of(text, "Другой пост, заметно длиннее первого, про погоду в Москве"),
                8192).vectors()[0];

        // The bundled model is quantized, which shifts batched results slightly.
        assertThat(TestModels.cosine(alone, inBatch)).isGreaterThan(0.99);
    }

    private Path copyBundled() throws Exception {
        Path source = TestModels.bundled().dir();
        Path copy = dir.resolve("model");
        Files.createDirectories(copy);
        for (String name : List.of("model.onnx", "tokenizer.json", ModelSpec.CONFIG_FILE)) {
            Files.copy(source.resolve(name), copy.resolve(name));
        }
        return copy;
    }
}
