package chanemb.lengths;

/**
 * Characters and words of a text, counted the way Python's {@code len(text)} and
 * {@code len(text.split())} count them, so figures compare with the team's notebook.
 */
public final class TextStats {
    private TextStats() {
    }

    /** Returns the number of Unicode code points: an emoji outside the BMP counts as 1, not 2. */
    public static int chars(String text) {
        return text.codePointCount(0, text.length());
    }

    /** Returns the number of maximal runs of characters that are not whitespace. */
    public static int words(String text) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            boolean space = isWhitespace(codePoint);
            if (!space && !inWord) {
                words++;
            }
            inWord = !space;
            i += Character.charCount(codePoint);
        }
        return words;
    }

    /**
     * Returns true for the characters Python's {@code str.split()} splits on: Java's whitespace,
     * the no-break spaces that Java leaves out (U+00A0, U+2007, U+202F) and the next-line control U+0085.
     */
    static boolean isWhitespace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint) || codePoint == 0x85;
    }
}
