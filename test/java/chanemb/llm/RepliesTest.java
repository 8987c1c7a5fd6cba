package chanemb.llm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which replies may become summaries, and how HTTP errors are classified. */
class RepliesTest {
    @Test
    void nulIsRemovedFromSummaries() {
        Replies.Checked checked = Replies.check(Replies.Mode.PLAIN, "Канал об акциях\u0000 до 31.12", "stop");

        assertThat(checked.summary().text()).isEqualTo("Канал об акциях до 31.12");
        assertThat(checked.summary().nulRemoved()).isTrue();
    }

    @Test
    void emptyAndInvisibleContentIsRejected() {
        assertThat(Replies.check(Replies.Mode.PLAIN, null, "stop").failure().kind()).isEqualTo(RetryPolicy.Kind.EMPTY_REPLY);
        assertThat(Replies.check(Replies.Mode.PLAIN, " \u200B\n", "stop").failure().kind())
                .isEqualTo(RetryPolicy.Kind.EMPTY_REPLY);
    }

    @Test
    void cutOffReplyIsRejectedEvenWithText() {
        assertThat(Replies.check(Replies.Mode.PLAIN, "Канал о", "length").failure().kind())
                .isEqualTo(RetryPolicy.Kind.LENGTH);
    }

    @Test
    void structuredReplyNeedsAllFourFields() {
        String missing = "{\"topic\": \"Скидки\", \"tone\": \"Живой\", \"audience\": \"Студенты\"}";
        String wrongType = "{\"topic\": \"Скидки\", \"tone\": 5, \"audience\": \"Студенты\", \"style\": \"Коротко\"}";

        assertThat(Replies.check(Replies.Mode.STRUCTURED, missing, "stop").failure().kind())
                .isEqualTo(RetryPolicy.Kind.INVALID_JSON);
        assertThat(Replies.check(Replies.Mode.STRUCTURED, wrongType, "stop").failure().kind())
                .isEqualTo(RetryPolicy.Kind.INVALID_JSON);
        assertThat(Replies.check(Replies.Mode.STRUCTURED, "[1, 2]", "stop").failure().kind())
                .isEqualTo(RetryPolicy.Kind.INVALID_JSON);
    }

    @Test
    void httpErrorsAreClassified() {
        String mistralContext = "{\"message\":\"Prompt contains 40000 tokens and 0 draft tokens, too large for model"
                + " with 32768 maximum context length\"}";
        String vllmContext = "{\"message\":\"This model's maximum context length is 4096 tokens.\"}";

        assertThat(ChatClient.classify(429, "3", "").retryAfter()).hasSeconds(3);
        assertThat(ChatClient.classify(503, null, "Service tier capacity exceeded for this model.").kind())
                .isEqualTo(RetryPolicy.Kind.SERVER_ERROR);
        assertThat(ChatClient.classify(400, null, mistralContext).kind()).isEqualTo(RetryPolicy.Kind.CONTEXT_LENGTH);
        assertThat(ChatClient.classify(400, null, vllmContext).kind()).isEqualTo(RetryPolicy.Kind.CONTEXT_LENGTH);
        assertThat(ChatClient.classify(422, null, "{\"message\":\"bad field\"}").kind())
                .isEqualTo(RetryPolicy.Kind.BAD_REQUEST);
        assertThat(ChatClient.classify(401, null, "").kind()).isEqualTo(RetryPolicy.Kind.UNAUTHORIZED);
    }

    @Test
    void contentChunksAreJoined() throws Exception {
        var node = chanemb.Json.LINE.readTree("[{\"type\":\"thinking\",\"thinking\":[]},{\"type\":\"text\",\"text\":\"Канал\"}]");

        assertThat(ChatClient.content(node)).isEqualTo("Канал");
    }
}
