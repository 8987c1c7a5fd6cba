package chanemb.lengths;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextStatsTest {
    @Test
    void charsCountEmojiAsOne() {
        assertThat(TextStats.chars("Акция 💵")).isEqualTo(7);
        assertThat("Акция 💵".length()).isEqualTo(8);
    }

    @Test
    void wordsSplitOnAnyWhitespace() {
        assertThat(TextStats.words("  Привет,\u00A0мир!\n\nвторой\tабзац ")).isEqualTo(4);
        assertThat(TextStats.words("")).isZero();
        assertThat(TextStats.words(" \n ")).isZero();
    }

    @Test
    void zeroWidthSpaceIsNotWhitespace() {
        assertThat(TextStats.words("Текст\u200Bс пробелом")).isEqualTo(2);
    }
}
