package chanemb.llm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One line of the summaries JSONL file: the outcome of one ad post's summarization. An ad post
 * may have several lines (a failure, then a success on a later run); readers take the last
 * {@code ok} line per {@code ad_post_id}. Null fields are left out of the line.
 *
 * @param status        "ok" or "failed"
 * @param summary       the plain-text summary (ok only); in structured mode the labelled text
 *                      built from {@code fields}
 * @param fields        structured mode only: topic, tone, audience and style
 * @param reason        why it failed (failed only), e.g. "context_length", "empty_reply"
 * @param retryable     failed only: true when a plain rerun tries again (transient errors, limits)
 * @param key           label of the API key of the last call, never the key itself
 * @param reusedFrom    the ad post whose identical window's summary this is; no call was made
 * @param tokensIn      prompt tokens of every call made for this outcome (0 when reused)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SummaryRecord(
        @JsonProperty("ad_post_id") long adPostId,
        @JsonProperty("channel_id") Long channelId,
        @JsonProperty("status") String status,
        @JsonProperty("summary") String summary,
        @JsonProperty("fields") Map<String, String> fields,
        @JsonProperty("reason") String reason,
        @JsonProperty("detail") String detail,
        @JsonProperty("retryable") Boolean retryable,
        @JsonProperty("model") String model,
        @JsonProperty("mode") String mode,
        @JsonProperty("prompt_hash") String promptHash,
        @JsonProperty("params_hash") String paramsHash,
        @JsonProperty("window_key") String windowKey,
        @JsonProperty("post_ids") List<Long> postIds,
        @JsonProperty("posts_used") Integer postsUsed,
        @JsonProperty("posts_dropped") Integer postsDropped,
        @JsonProperty("posts_trimmed") Integer postsTrimmed,
        @JsonProperty("tokens_in") Long tokensIn,
        @JsonProperty("tokens_out") Long tokensOut,
        @JsonProperty("latency_ms") Long latencyMs,
        @JsonProperty("attempts") Integer attempts,
        @JsonProperty("key") String key,
        @JsonProperty("batch_job") String batchJob,
        @JsonProperty("reused_from") Long reusedFrom,
        @JsonProperty("created") String created) {

    public static final String OK = "ok";
    public static final String FAILED = "failed";

    public boolean isOk() {
        return OK.equals(status);
    }

    /** True when a plain rerun should try this ad post again. */
    public boolean isRetryable() {
        return FAILED.equals(status) && Boolean.TRUE.equals(retryable);
    }
}
