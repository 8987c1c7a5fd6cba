package chanemb.llm;

import chanemb.Texts;

/** Counts tokens of prompt text for packing windows and for rate limits. */
public interface TokenCounter {
    /** Returns the number of tokens of a text, without special tokens. */
    int count(String text);

    /** Names the counter in parameters and logs: "estimate" or the tokenizer file's hash. */
    String id();

    /**
     * Returns the longest prefix of {@code text} of at most {@code maxTokens} tokens, never ending
     * inside a surrogate pair. Finds the cut by binary search over prefix lengths, so it holds for
     * any tokenizer whose count grows with the prefix.
     */
    default String cut(String text, int maxTokens) {
        if (count(text) <= maxTokens) {
            return text;
        }
        int low = 0;
        int high = text.length();
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (count(Texts.cut(text, mid)) <= maxTokens) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return Texts.cut(text, low);
    }
}
