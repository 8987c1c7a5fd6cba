package chanemb.llm;

import chanemb.Texts;

/**
 * An estimate of token counts used when no tokenizer.json is given: 4 ASCII characters, or 2
 * other characters of the Basic Multilingual Plane (Cyrillic among them), or 1 character outside
 * it (emoji) make a token.
 *
 * <p>It is an estimate, not the provider's tokenizer. The 2 characters per token for Russian
 * match the notebook's figure of about 7.5k tokens for windows of 10 posts averaging 1.5k
 * characters. NOTE: it was not checked against Mistral's own tokenizer; give --tokenizer with
 * the model's tokenizer.json for exact counts. Being additive, the count of a concatenation is
 * the sum of the counts of its parts, up to rounding.
 */
public final class TokenEstimate implements TokenCounter {
    public static final TokenEstimate INSTANCE = new TokenEstimate();

    private TokenEstimate() {
    }

    @Override
    public int count(String text) {
        return (int) ((quarters(text, text.length()) + 3) / 4);
    }

    @Override
    public String id() {
        return "estimate";
    }

    /** Cuts by a linear scan: the first prefix whose estimate passes {@code maxTokens} ends the text. */
    @Override
    public String cut(String text, int maxTokens) {
        long budget = 4L * maxTokens;
        long used = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            used += weight(codePoint);
            if (used > budget) {
                return Texts.cut(text, i);
            }
            i += Character.charCount(codePoint);
        }
        return text;
    }

    /** Quarter tokens of the first {@code end} characters. */
    private static long quarters(String text, int end) {
        long total = 0;
        for (int i = 0; i < end; ) {
            int codePoint = text.codePointAt(i);
            total += weight(codePoint);
            i += Character.charCount(codePoint);
        }
        return total;
    }

    private static int weight(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        return codePoint < 0x10000 ? 2 : 4;
    }
}
