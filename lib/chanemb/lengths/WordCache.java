package chanemb.lengths;

import chanemb.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Token counts made from the counts of the words of a text, each word tokenized once and then
 * looked up. Posts repeat their words, so after the first thousands of posts almost every word is
 * known, and a gigabyte of text needs a few million words tokenized instead of a billion
 * characters.
 *
 * <p>A text is cut only at a single space between two characters that are not whitespace. This
 * gives the same count as tokenizing the whole text for tokenizers whose pre-tokenizer splits at
 * spaces and makes no token of a single space, and whose normalizer changes characters one by
 * one: BERT's WordPiece ({@code BertPreTokenizer}), {@code Whitespace} and
 * {@code WhitespaceSplit}, and SentencePiece tokenizers such as XLM-RoBERTa's ({@code Metaspace},
 * which prefixes every word with its space marker, also a first word). {@link #supports} reads
 * this from tokenizer.json. Byte-level tokenizers (GPT-2 and its successors) keep the space in
 * the next word's token and are always counted whole.
 *
 * <p>Added tokens are counted once per text: the special tokens the tokenizer adds around a
 * single text, which is the count of an empty text.
 */
final class WordCache {
    /** Maximum words kept. A full cache is emptied and filled again, which costs time, not accuracy. */
    static final int MAX_WORDS = 4_000_000;

    private final Map<String, Integer> words = new HashMap<>();

    /** A tokenizer call that counts words on their own, without special tokens. */
    interface WordCounter {
        int[] count(List<String> words);
    }

    /**
     * Returns the token count of every text: the special tokens, plus the counts of its words,
     * tokenizing with {@code counter} only the words not seen before.
     */
    int[] count(List<String> texts, int specialTokens, WordCounter counter) {
        List<String> pieces = new ArrayList<>();
        int[] ends = new int[texts.size()];
        Set<String> unknown = new LinkedHashSet<>();
        for (int t = 0; t < texts.size(); t++) {
            split(texts.get(t), pieces);
            ends[t] = pieces.size();
        }
        for (String piece : pieces) {
            if (!words.containsKey(piece)) {
                unknown.add(piece);
            }
        }
        if (words.size() + unknown.size() > MAX_WORDS) {
            words.clear();
            unknown.clear();
            unknown.addAll(pieces);
        }
        if (!unknown.isEmpty()) {
            List<String> list = new ArrayList<>(unknown);
            int[] counts = counter.count(list);
            for (int i = 0; i < counts.length; i++) {
                words.put(list.get(i), counts[i]);
            }
        }
        int[] result = new int[texts.size()];
        int from = 0;
        for (int t = 0; t < texts.size(); t++) {
            int tokens = specialTokens;
            for (int p = from; p < ends[t]; p++) {
                tokens += words.get(pieces.get(p));
            }
            result[t] = tokens;
            from = ends[t];
        }
        return result;
    }

    /** Returns the number of words in the cache. */
    int size() {
        return words.size();
    }

    /** Adds the pieces of {@code text} to {@code out}: cut at every single space between two non-space characters. */
    static void split(String text, List<String> out) {
        int start = 0;
        int n = text.length();
        for (int i = 1; i < n - 1; i++) {
            if (text.charAt(i) == ' ' && !isSpace(text.charAt(i - 1)) && !isSpace(text.charAt(i + 1))) {
                out.add(text.substring(start, i));
                start = i + 1;
            }
        }
        if (n > 0) {
            out.add(text.substring(start));
        }
    }

    /** Returns true for any character a tokenizer may treat as a space; a surrogate never is one. */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085' || c == '\u200B'
                || c == '\uFEFF' || c == '\u2060';
    }

    /**
     * Returns true when tokenizer.json describes a tokenizer whose count of a text is the sum of
     * the counts of its space-separated words (see the class comment), and false when unsure.
     */
    static boolean supports(Path tokenizerFile) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(tokenizerFile.toFile());
        } catch (IOException e) {
            return false;
        }
        return normalizerSupported(root.path("normalizer"))
                && preTokenizerSupported(root.path("pre_tokenizer"), true) && modelSupported(root.path("model"));
    }

    private static boolean modelSupported(JsonNode model) {
        String type = model.path("type").asText("");
        return type.equals("WordPiece") || type.equals("Unigram") || type.equals("BPE") || type.equals("WordLevel");
    }

    private static boolean normalizerSupported(JsonNode normalizer) {
        if (normalizer.isMissingNode() || normalizer.isNull()) {
            return true;
        }
        String type = normalizer.path("type").asText("");
        switch (type) {
            case "Sequence":
                for (JsonNode part : normalizer.path("normalizers")) {
                    if (!normalizerSupported(part)) {
                        return false;
                    }
                }
                return true;
            case "BertNormalizer", "Lowercase", "NFC", "NFD", "NFKC", "NFKD", "StripAccents", "Precompiled", "Nmt":
                return true;
            case "Replace":
                // XLM-RoBERTa's tokenizer.json folds runs of spaces; a single space stays as it is.
                JsonNode pattern = normalizer.path("pattern");
                String regex = pattern.path("Regex").asText(null);
                String literal = pattern.path("String").asText(null);
                return " {2,}".equals(regex) || (literal != null && literal.length() > 1 && literal.isBlank());
            default:
                return false;
        }
    }

    /**
     * @param whole true when the pre-tokenizer sees the whole text; in a sequence, a later one sees
     *              pieces, and Metaspace's "first" scheme leaves all but the first piece unmarked
     */
    private static boolean preTokenizerSupported(JsonNode preTokenizer, boolean whole) {
        String type = preTokenizer.path("type").asText("");
        switch (type) {
            case "Sequence":
                boolean any = false;
                for (JsonNode part : preTokenizer.path("pretokenizers")) {
                    if (!preTokenizerSupported(part, whole && !any)) {
                        return false;
                    }
                    any = true;
                }
                return any;
            case "BertPreTokenizer", "Whitespace", "WhitespaceSplit":
                return true;
            case "Metaspace":
                String scheme = preTokenizer.path("prepend_scheme").asText("");
                boolean prefixed = scheme.equals("always") || (scheme.equals("first") && whole)
                        || (scheme.isEmpty() && preTokenizer.path("add_prefix_space").asBoolean(true));
                return prefixed && preTokenizer.path("split").asBoolean(true);
            default:
                return false;
        }
    }
}
