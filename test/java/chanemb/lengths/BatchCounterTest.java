package chanemb.lengths;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.embed.ModelSpec;
import chanemb.embed.ModelTokenizer;
import chanemb.embed.TestModels;
import chanemb.llm.HuggingFaceTokenCounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token counts of the bundled e5 tokenizer (BERT WordPiece, English vocabulary, lower case,
 * accents stripped). The expected tokens were worked out by hand from its vocabulary.
 */
class BatchCounterTest {
    @TempDir
    Path dir;

    @Test
    void bundledTokenizerCountsKnownStrings() {
        ModelSpec spec = TestModels.bundled();
        try (BatchCounter counter = BatchCounter.embedding(spec)) {
            int[] counts = counter.count(List.of(
                    // [CLS] query : hello world [SEP]
                    "query: hello world",
                    // [CLS] query : п ##р ##и ##в ##е ##т , м ##и ##р ! [SEP]
                    "query: Привет, мир!",
                    // [CLS] query : с ##к ##и ##д ##к ##и 50 % [UNK] д ##о 31 . 12 [SEP]
                    "query: Скидки 50% 💵 до 31.12",
                    // ё and й lose their accents: е ##л ##ка и и ##о ##г ##у ##р ##т
                    "query: ёлка и йогурт",
                    // Two emoji with no space between them are one unknown word: [UNK] а ##к ##ц ##ия
                    "query: 🔥🔥 Акция"));

            assertThat(counts).containsExactly(6, 15, 18, 14, 9);
        }
    }

    @Test
    void llmCountHasNoSpecialTokens() {
        Path tokenizer = TestModels.bundled().dir().resolve("tokenizer.json");
        try (BatchCounter counter = BatchCounter.llm(tokenizer);
             HuggingFaceTokenCounter summarizeCounter = HuggingFaceTokenCounter.load(tokenizer)) {
            assertThat(counter.count(List.of("Привет, мир!"))).containsExactly(11);
            assertThat(counter.id()).isEqualTo(summarizeCounter.id());
        }
    }

    @Test
    void countsEqualThoseOfEmbedAndSummarize() {
        ModelSpec spec = TestModels.bundled();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            texts.add("Пост номер " + i + " 🔥 " + "слово ".repeat(i % 40) + "<b>&amp;</b>");
        }
        try (BatchCounter embedding = BatchCounter.embedding(spec);
             BatchCounter llm = BatchCounter.llm(spec.dir().resolve("tokenizer.json"));
             ModelTokenizer embedTokenizer = ModelTokenizer.load(spec);
             HuggingFaceTokenCounter summarizeCounter = HuggingFaceTokenCounter.load(spec.dir().resolve("tokenizer.json"))) {
            int[] llmCounts = llm.count(texts);

            assertThat(embedding.count(texts)).containsExactly(embedTokenizer.countTokens(texts));
            for (int i = 0; i < texts.size(); i++) {
                assertThat(llmCounts[i]).as(texts.get(i)).isEqualTo(summarizeCounter.count(texts.get(i)));
            }
        }
    }

    @Test
    void longPostIsCountedWhole() throws Exception {
        // The tokenizer file asks for truncation at 512; counting must ignore it.
        Path truncating = dir.resolve("tokenizer.json");
        String json = Files.readString(TestModels.bundled().dir().resolve("tokenizer.json"));
        Files.writeString(truncating, json.replaceFirst("\"truncation\":\\s*null",
                "\"truncation\": {\"direction\": \"Right\", \"max_length\": 512, \"strategy\": \"LongestFirst\", \"stride\": 0}"));
        assertThat(Files.readString(truncating)).contains("\"max_length\": 512");

        try (BatchCounter llm = BatchCounter.llm(truncating);
             BatchCounter embedding = BatchCounter.embedding(TestModels.bundled())) {
            assertThat(llm.count(List.of("hello ".repeat(2000)))).containsExactly(2000);
            assertThat(embedding.count(List.of("hello ".repeat(1998)))).containsExactly(2000);
        }
    }

    @Test
    void estimateIsSummarizeEstimate() {
        try (BatchCounter estimate = BatchCounter.estimate()) {
            // 4 ASCII characters, 2 Cyrillic characters or 1 emoji make a token; "ab💵аб" is 10 quarters, 3 tokens.
            assertThat(estimate.count(List.of("abcd", "абвг", "💵", "ab💵аб"))).containsExactly(1, 2, 1, 3);
            assertThat(estimate.isEstimate()).isTrue();
            assertThat(estimate.id()).isEqualTo("estimate");
        }
    }
}
