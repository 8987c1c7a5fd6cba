package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.embed.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Packing windows into a token budget, with the estimate and with a real tokenizer. */
class WindowPackerTest {
    private static final String SYSTEM = "Опиши канал.";

    /** A Russian post of about {@code tokens} estimated tokens. */
    private static String post(int index, int tokens) {
        String sentence = "Пост номер " + index + " о скидках и новостях канала. ";
        StringBuilder text = new StringBuilder();
        while (TokenEstimate.INSTANCE.count(text.toString()) < tokens) {
            text.append(sentence);
        }
        return text.toString().strip();
    }

    @Test
    void fiftyLongPostsFitA32kContext() {
        List<String> posts = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            posts.add(post(i, 1500));
        }
        WindowPacker packer = new WindowPacker(TokenEstimate.INSTANCE, new WindowPacker.Budget(32_000 - 1_000, 2048));

        WindowPacker.Packed packed = packer.pack(SYSTEM, WindowPrompt.Channel.NONE, posts);

        int counted = TokenEstimate.INSTANCE.count(SYSTEM) + TokenEstimate.INSTANCE.count(packed.userMessage())
                + 2 * WindowPacker.MESSAGE_OVERHEAD;
        assertThat(packed.inputTokens()).isEqualTo(counted).isLessThanOrEqualTo(31_000);
        assertThat(packed.postsIn()).isEqualTo(50);
        assertThat(packed.postsDropped()).isEqualTo(50 - packed.postsUsed()).isPositive();
        assertThat(packed.postsUsed()).isBetween(18, 20);
        assertThat(packed.userMessage()).contains("Пост номер 50 ").doesNotContain("Пост номер 1 ");
        assertThat(packed.postsTrimmed()).isZero();
    }

    @Test
    void longPostIsTrimmedToItsLimit() {
        WindowPacker packer = new WindowPacker(TokenEstimate.INSTANCE, new WindowPacker.Budget(16_000, 500));

        WindowPacker.Packed packed = packer.pack(SYSTEM, WindowPrompt.Channel.NONE, List.of(post(1, 100), post(2, 3000)));

        assertThat(packed.postsUsed()).isEqualTo(2);
        assertThat(packed.postsTrimmed()).isEqualTo(1);
        assertThat(packed.userMessage()).contains("<post n=\"2\" trimmed=\"true\">");
        assertThat(packed.inputTokens()).isLessThan(1000);
    }

    @Test
    void newestPostAloneIsCutToFit() {
        WindowPacker packer = new WindowPacker(TokenEstimate.INSTANCE, new WindowPacker.Budget(300, 10_000));

        WindowPacker.Packed packed = packer.pack(SYSTEM, WindowPrompt.Channel.NONE, List.of(post(1, 50), post(2, 2000)));

        assertThat(packed.fits()).isTrue();
        assertThat(packed.inputTokens()).isLessThanOrEqualTo(300);
        assertThat(packed.postsUsed()).isEqualTo(1);
        assertThat(packed.postsDropped()).isEqualTo(1);
        assertThat(packed.postsTrimmed()).isEqualTo(1);
    }

    @Test
    void systemPromptLargerThanBudgetFitsNothing() {
        WindowPacker packer = new WindowPacker(TokenEstimate.INSTANCE, new WindowPacker.Budget(20, 10_000));

        WindowPacker.Packed packed = packer.pack(SYSTEM.repeat(20), WindowPrompt.Channel.NONE, List.of(post(1, 50)));

        assertThat(packed.fits()).isFalse();
    }

    @Test
    void cutNeverSplitsASurrogatePair() {
        String text = "а".repeat(299) + "💵" + " и дальше текст";

        String cut = TokenEstimate.INSTANCE.cut(text, 150);
        String binary = new TokenCounter() {
            @Override
            public int count(String s) {
                return s.length();
            }

            @Override
            public String id() {
                return "chars";
            }
        }.cut(text, 300);

        assertThat(cut).isEqualTo("а".repeat(299));
        assertThat(binary).isEqualTo("а".repeat(299));
        assertThat(LlmFixture.json(java.util.Map.of("content", binary))).doesNotContain("\\ud8");
    }

    @Test
    void estimateCountsScripts() {
        assertThat(TokenEstimate.INSTANCE.count("abcd")).isEqualTo(1);
        assertThat(TokenEstimate.INSTANCE.count("абвг")).isEqualTo(2);
        assertThat(TokenEstimate.INSTANCE.count("💵")).isEqualTo(1);
        assertThat(TokenEstimate.INSTANCE.count("")).isZero();
    }

    @Test
    void tokenizerFileGivesExactCountsAndCuts() {
        java.nio.file.Path file = TestModels.bundled().dir().resolve(TestModels.bundled().tokenizerFile());
        try (HuggingFaceTokenCounter counter = HuggingFaceTokenCounter.load(file)) {
            String text = post(1, 400);

            String cut = counter.cut(text, 100);

            assertThat(counter.id()).startsWith("tokenizer:");
            assertThat(counter.count("hello world")).isEqualTo(2);
            assertThat(counter.count(cut)).isLessThanOrEqualTo(100).isGreaterThan(90);
            assertThat(text).startsWith(cut);
        }
    }
}
