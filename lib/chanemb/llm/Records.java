package chanemb.llm;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds the output records of one run's configuration: model, mode, prompt and parameters. */
public final class Records {
    private final String model;
    private final Replies.Mode mode;
    private final String promptHash;
    private final String paramsHash;

    public Records(String model, Replies.Mode mode, String promptHash, String paramsHash) {
        this.model = model;
        this.mode = mode;
        this.promptHash = promptHash;
        this.paramsHash = paramsHash;
    }

    public String model() {
        return model;
    }

    public String promptHash() {
        return promptHash;
    }

    public String paramsHash() {
        return paramsHash;
    }

    /**
     * Records of a summary for every ad post of the job: the first carries the tokens and latency,
     * the others point to it with {@code reused_from}.
     */
    public List<SummaryRecord> ok(WindowJob job, Replies.Summary summary, String batchJob) {
        List<SummaryRecord> records = new ArrayList<>(job.adPostIds.length);
        for (int i = 0; i < job.adPostIds.length; i++) {
            boolean first = i == 0;
            records.add(new SummaryRecord(job.adPostIds[i], job.channelId, SummaryRecord.OK, summary.text(),
                    summary.fields(), null, null, null, model, mode.label(), promptHash, paramsHash, job.windowKey,
                    ids(job.postIds), used(job), dropped(job), trimmed(job),
                    first ? job.tokensIn : 0L, first ? job.tokensOut : 0L, first ? job.latencyMs : null,
                    first ? job.attempts.calls : 0, job.lastKey, batchJob, first ? null : job.adPostIds[0], now()));
        }
        return records;
    }

    /** A summary taken from an earlier ok record of the same window key. */
    public SummaryRecord reused(long adPostId, Long channelId, SummaryRecord source) {
        return new SummaryRecord(adPostId, channelId, SummaryRecord.OK, source.summary(), source.fields(), null, null,
                null, model, mode.label(), promptHash, paramsHash, source.windowKey(), source.postIds(),
                source.postsUsed(), source.postsDropped(), source.postsTrimmed(), 0L, 0L, null, 0, source.key(),
                null, source.adPostId(), now());
    }

    /** Failure records for every ad post of the job. */
    public List<SummaryRecord> failed(WindowJob job, String reason, String detail, boolean retryable, String batchJob) {
        List<SummaryRecord> records = new ArrayList<>(job.adPostIds.length);
        for (int i = 0; i < job.adPostIds.length; i++) {
            boolean first = i == 0;
            records.add(new SummaryRecord(job.adPostIds[i], job.channelId, SummaryRecord.FAILED, null, null, reason,
                    detail, retryable, model, mode.label(), promptHash, paramsHash, job.windowKey, ids(job.postIds),
                    used(job), dropped(job), trimmed(job), first ? job.tokensIn : 0L, first ? job.tokensOut : 0L,
                    first ? job.latencyMs : null, first ? job.attempts.calls : 0, job.lastKey, batchJob, null, now()));
        }
        return records;
    }

    private static Integer used(WindowJob job) {
        return job.packed == null ? null : job.packed.postsUsed();
    }

    private static Integer dropped(WindowJob job) {
        return job.packed == null ? null : job.packed.postsDropped();
    }

    private static Integer trimmed(WindowJob job) {
        return job.packed == null ? null : job.packed.postsTrimmed();
    }

    private static List<Long> ids(long[] postIds) {
        return Arrays.stream(postIds).boxed().toList();
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
