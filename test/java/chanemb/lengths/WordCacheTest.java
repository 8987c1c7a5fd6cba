package chanemb.lengths;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.Json;
import chanemb.embed.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Counts made from words equal whole-text counts, and the cache is used only where that holds. */
class WordCacheTest {
    /** Texts whose spacing could make word counts differ: runs of spaces, line breaks, no-break and zero-width spaces. */
    static final List<String> TEXTS = List.of(
            "Привет, мир! Скидки 50% 💵 до 31.12",
            "  Курс <b>Python</b> & SQL  ",
            "ёлка и йогурт\n\nвторой абзац",
            "два  пробела и\tтаб",
            "неразрывный\u00A0пробел и узкий\u202Fпробел",
            "Текст\u200Bс пробелом",
            "🔥🔥 Акция 🔥 для всех",
            " ",
            "",
            "a b c d e f g",
            "mixed English и русский, with punctuation: (скобки) [brackets] «кавычки» — тире");

    @TempDir
    Path dir;

    @Test
    void bundledWordCountsEqualWholeCounts() {
        Path file = TestModels.bundled().dir().resolve("tokenizer.json");
        assertThat(WordCache.supports(file)).isTrue();
        List<String> texts = randomTexts(3000);
        texts.addAll(TEXTS);

        try (BatchCounter.HuggingFace byWords = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", true);
             BatchCounter.HuggingFace whole = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", false)) {
            int[] expected = whole.count(texts);

            assertThat(byWords.count(texts)).containsExactly(expected);
            // After the checked texts the cache alone answers, and still agrees.
            assertThat(byWords.count(texts)).containsExactly(expected);
            assertThat(byWords.method()).isEqualTo("words");
            assertThat(whole.method()).isEqualTo("whole");
        }
    }

    @Test
    void sentencePieceWordCountsEqualWholeCounts() {
        Path file = unigram(dir.resolve("metaspace.json"), "always");
        assertThat(WordCache.supports(file)).isTrue();
        List<String> texts = randomTexts(500);
        texts.addAll(TEXTS);

        try (BatchCounter.HuggingFace byWords = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", true);
             BatchCounter.HuggingFace whole = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", false)) {
            int[] expected = whole.count(texts);

            assertThat(whole.count(List.of("привет мир"))).containsExactly(4);
            assertThat(byWords.count(texts)).containsExactly(expected);
            assertThat(byWords.method()).isEqualTo("words");
        }
    }

    @Test
    void differingCountsTurnCacheOff() {
        // Without the space marker on a lone word, "▁мир" in a text is not "мир" alone.
        Path file = unigram(dir.resolve("never.json"), "never");
        assertThat(WordCache.supports(file)).isFalse();

        try (BatchCounter.HuggingFace forced = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", true);
             BatchCounter.HuggingFace whole = BatchCounter.HuggingFace.load(file, true, "embed.tokenizer-failed", false)) {
            List<String> texts = List.of("привет мир", "мир привет");

            assertThat(forced.count(texts)).containsExactly(whole.count(texts));
            assertThat(forced.method()).startsWith("whole (");
        }
    }

    @Test
    void byteLevelTokenizerCountedWhole() {
        Path byteLevel = dir.resolve("byte-level.json");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("normalizer", null);
        json.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true));
        json.put("model", Map.of("type", "BPE"));
        Json.writeAtomically(byteLevel, json);

        assertThat(WordCache.supports(byteLevel)).isFalse();
        assertThat(WordCache.supports(dir.resolve("missing.json"))).isFalse();
    }

    @Test
    void splitCutsAtSingleSpaces() {
        List<String> pieces = new ArrayList<>();
        WordCache.split(" a b  c\nd e\u00A0f ", pieces);

        assertThat(pieces).containsExactly(" a", "b  c\nd", "e\u00A0f ");
    }

    @Test
    void knownWordsTokenizedOnce() {
        WordCache cache = new WordCache();
        List<List<String>> asked = new ArrayList<>();
        WordCache.WordCounter lengths = words -> {
            asked.add(List.copyOf(words));
            return words.stream().mapToInt(String::length).toArray();
        };

        int[] first = cache.count(List.of("один два три", "два три четыре"), 2, lengths);
        int[] second = cache.count(List.of("три пять"), 2, lengths);

        assertThat(first).containsExactly(2 + 4 + 3 + 3, 2 + 3 + 3 + 6);
        assertThat(second).containsExactly(2 + 3 + 4);
        assertThat(asked).containsExactly(List.of("один", "два", "три", "четыре"), List.of("пять"));
        assertThat(cache.size()).isEqualTo(5);
    }

    /** Russian-like texts from a small vocabulary, with punctuation, numbers, emoji and varied spacing. */
    static List<String> randomTexts(int n) {
        String[] vocabulary = {"скидка", "акция", "курс", "мир", "привет", "канал", "реклама", "и", "в", "на", "50%",
                "31.12", "🔥", "💵", "Python", "SQL", "(новое)", "«цитата»", "—", "ёлка", "йогурт", "C++", "#тег",
                "@user", "https://example.com/a?b=c"};
        String[] spaces = {" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00A0", ", ", ". "};
        Random random = new Random(11);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            int words = random.nextInt(60);
            for (int w = 0; w < words; w++) {
                if (w > 0) {
                    text.append(spaces[random.nextInt(spaces.length)]);
                }
                String word = vocabulary[random.nextInt(vocabulary.length)];
                text.append(random.nextInt(8) == 0 ? word.toUpperCase() : word);
            }
            texts.add(text.toString());
        }
        return texts;
    }

    /**
     * Writes a small SentencePiece-style tokenizer.json: XLM-RoBERTa's normalizer and
     * pre-tokenizer, a Unigram vocabulary of single characters and a few words.
     */
    static Path unigram(Path file, String prependScheme) {
        List<List<Object>> vocab = new ArrayList<>();
        for (String special : new String[] {"<s>", "<pad>", "</s>", "<unk>"}) {
            vocab.add(List.of(special, 0.0));
        }
        vocab.add(List.of("▁", -2.0));
        for (String piece : new String[] {"▁привет", "▁мир", "▁ски", "дки", "▁ак", "ция"}) {
            vocab.add(List.of(piece, -3.0));
        }
        String chars = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyz0123456789.,!?%:;()[]«»—-<>&#@/=+";
        chars.codePoints().forEach(c -> vocab.add(List.of(new String(Character.toChars(c)), -5.0)));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "Unigram");
        model.put("unk_id", 3);
        model.put("vocab", vocab);
        model.put("byte_fallback", false);

        List<Map<String, Object>> added = new ArrayList<>();
        for (Object[] token : new Object[][] {{0, "<s>"}, {1, "<pad>"}, {2, "</s>"}, {3, "<unk>"}}) {
            added.add(Map.of("id", token[0], "content", token[1], "single_word", false, "lstrip", false, "rstrip", false,
                    "normalized", false, "special", true));
        }
        Map<String, Object> metaspace = Map.of("type", "Metaspace", "replacement", "▁", "prepend_scheme", prependScheme,
                "split", true);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", added);
        json.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(Map.of("type", "NFKC"),
                Map.of("type", "Lowercase"),
                Map.of("type", "Replace", "pattern", Map.of("Regex", " {2,}"), "content", " "))));
        json.put("pre_tokenizer", metaspace);
        json.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                        Map.of("SpecialToken", Map.of("id", "</s>", "type_id", 0))),
                "pair", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                        Map.of("SpecialToken", Map.of("id", "</s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "B", "type_id", 1)),
                        Map.of("SpecialToken", Map.of("id", "</s>", "type_id", 1))),
                "special_tokens", Map.of("<s>", Map.of("id", "<s>", "ids", List.of(0), "tokens", List.of("<s>")),
                        "</s>", Map.of("id", "</s>", "ids", List.of(2), "tokens", List.of("</s>")))));
        json.put("decoder", metaspace);
        json.put("model", model);
        Json.writeAtomically(file, json);
        return file;
    }
}
