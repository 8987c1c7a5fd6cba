package chanemb;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What counts as text, and the repairs every text gets before anything else sees it.
 *
 * <p>A post is a <em>text post</em> when its text still has a character after removing
 * whitespace and invisible characters (zero-width spaces and joiners, word joiner, byte order
 * mark, soft hyphen, Hangul and Braille fillers, bidi controls, variation selectors and control
 * characters). The same set drives the in-memory check and the SQL filter, so both paths agree.
 */
public final class Texts {
    /** BMP code points that do not make a post a text post; ranges are inclusive. */
    private static final int[][] BLANK_RANGES = {
        {0x0000, 0x0020}, // C0 controls and space
        {0x007F, 0x00A0}, // DEL, C1 controls, no-break space
        {0x00AD, 0x00AD}, // soft hyphen
        {0x034F, 0x034F}, // combining grapheme joiner
        {0x061C, 0x061C}, // Arabic letter mark
        {0x115F, 0x1160}, // Hangul fillers
        {0x1680, 0x1680}, // Ogham space mark
        {0x17B4, 0x17B5}, // Khmer inherent vowels
        {0x180B, 0x180E}, // Mongolian variation selectors and vowel separator
        {0x2000, 0x200F}, // spaces, zero-width space, ZWNJ, ZWJ, direction marks
        {0x2028, 0x202F}, // line and paragraph separators, bidi embedding, narrow no-break space
        {0x205F, 0x2064}, // medium math space, word joiner, invisible operators
        {0x2066, 0x206F}, // bidi isolates and deprecated format characters
        {0x2800, 0x2800}, // Braille pattern blank, a common "empty" filler
        {0x3000, 0x3000}, // ideographic space
        {0x3164, 0x3164}, // Hangul filler
        {0xFE00, 0xFE0F}, // variation selectors
        {0xFEFF, 0xFEFF}, // byte order mark
        {0xFFA0, 0xFFA0}, // halfwidth Hangul filler
        {0xFFF9, 0xFFFB}, // interlinear annotation controls
    };

    private static final BitSet BLANK = new BitSet(0x10000);

    static {
        for (int[] range : BLANK_RANGES) {
            BLANK.set(range[0], range[1] + 1);
        }
    }

    private Texts() {
    }

    /** Returns true when the character is whitespace or invisible. */
    public static boolean isBlank(int codePoint) {
        if (codePoint < 0x10000) {
            return BLANK.get(codePoint);
        }
        // Tag characters and variation selectors supplement.
        return (codePoint >= 0xE0000 && codePoint <= 0xE007F) || (codePoint >= 0xE0100 && codePoint <= 0xE01EF);
    }

    /** Returns true when the text has at least one visible character. */
    public static boolean isTextPost(CharSequence text) {
        if (text == null) {
            return false;
        }
        for (int i = 0; i < text.length(); ) {
            int codePoint = Character.codePointAt(text, i);
            if (!isBlank(codePoint)) {
                return true;
            }
            i += Character.charCount(codePoint);
        }
        return false;
    }

    /**
     * PostgreSQL regular expression that matches a text with a visible character: one character
     * outside the blank set. Built only from the constant ranges above, never from input.
     */
    public static String sqlVisibleCharPattern() {
        StringBuilder pattern = new StringBuilder("[^");
        for (int[] range : BLANK_RANGES) {
            int from = Math.max(range[0], 1); // PostgreSQL text cannot hold U+0000
            pattern.append(String.format("\\u%04x", from));
            if (range[1] > from) {
                pattern.append('-').append(String.format("\\u%04x", range[1]));
            }
        }
        pattern.append("\\U000e0000-\\U000e007f\\U000e0100-\\U000e01ef]");
        return pattern.toString();
    }

    /** Counts of the repairs made to texts during one step. */
    public static final class Repairs {
        public final AtomicLong nulRemoved = new AtomicLong();
        public final AtomicLong loneSurrogatesRemoved = new AtomicLong();
        public final AtomicLong blankToEmpty = new AtomicLong();

        public long total() {
            return nulRemoved.get() + loneSurrogatesRemoved.get() + blankToEmpty.get();
        }

        @Override
        public String toString() {
            return Messages.get("repairs.summary", nulRemoved.get(), loneSurrogatesRemoved.get(), blankToEmpty.get());
        }
    }

    /** A repaired text and which repairs it needed. */
    public record Repaired(String text, boolean nul, boolean loneSurrogate, boolean blank) {
        /** The repairs as a comma-separated list ("nul", "surrogate", "blank"), or "" when none. */
        public String kinds() {
            StringBuilder kinds = new StringBuilder();
            if (nul) {
                kinds.append("nul");
            }
            if (loneSurrogate) {
                kinds.append(kinds.length() > 0 ? "," : "").append("surrogate");
            }
            if (blank) {
                kinds.append(kinds.length() > 0 ? "," : "").append("blank");
            }
            return kinds.toString();
        }

        public void countInto(Repairs repairs) {
            if (nul) {
                repairs.nulRemoved.incrementAndGet();
            }
            if (loneSurrogate) {
                repairs.loneSurrogatesRemoved.incrementAndGet();
            }
            if (blank) {
                repairs.blankToEmpty.incrementAndGet();
            }
        }
    }

    /**
     * Repairs a text: removes U+0000 (PostgreSQL rejects it) and unpaired surrogates (they are
     * not valid UTF-8), and turns a text with no visible character into "". Null stays null.
     */
    public static String repair(String text, Repairs repairs) {
        Repaired repaired = repairDetailed(text);
        if (repairs != null) {
            repaired.countInto(repairs);
        }
        return repaired.text();
    }

    /** Like {@link #repair(String, Repairs)}, returning which repairs were made. */
    public static Repaired repairDetailed(String text) {
        if (text == null) {
            return new Repaired(null, false, false, false);
        }
        StringBuilder out = null;
        boolean nul = false;
        boolean lone = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean drop = false;
            if (c == 0) {
                drop = true;
                nul = true;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    if (out != null) {
                        out.append(c).append(text.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
                drop = true;
                lone = true;
            } else if (Character.isLowSurrogate(c)) {
                drop = true;
                lone = true;
            }
            if (drop && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            } else if (!drop && out != null) {
                out.append(c);
            }
        }
        String repaired = out == null ? text : out.toString();
        if (!repaired.isEmpty() && !isTextPost(repaired)) {
            return new Repaired("", nul, lone, true);
        }
        return new Repaired(repaired, nul, lone, false);
    }

    /**
     * Cuts a text to at most {@code maxChars} UTF-16 units without splitting a surrogate pair:
     * when the cut would fall inside a pair, the pair is left out.
     */
    public static String cut(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }
}
