package chanemb.llm;

import java.util.List;

/**
 * One call's worth of work: a distinct window and every ad post that has it. Ad posts whose
 * windows hold the same post ids share one job, so identical windows are summarized once.
 */
public final class WindowJob {
    final String windowKey;
    final long[] adPostIds;
    final long channelId;
    final long[] postIds;
    final WindowPrompt.Channel channel;
    final List<String> texts;
    WindowPacker.Budget budget;
    WindowPacker.Packed packed;
    int maxTokens;
    final RetryPolicy.Attempts attempts = new RetryPolicy.Attempts();
    long firstCallNanos;
    long tokensIn;
    long tokensOut;
    long latencyMs;
    String lastKey;
    long notBeforeNanos;

    /**
     * @param texts texts of the window's posts that have text, oldest first
     */
    public WindowJob(String windowKey, long[] adPostIds, long channelId, long[] postIds, WindowPrompt.Channel channel,
                     List<String> texts) {
        this.windowKey = windowKey;
        this.adPostIds = adPostIds;
        this.channelId = channelId;
        this.postIds = postIds;
        this.channel = channel;
        this.texts = texts;
    }

    public String windowKey() {
        return windowKey;
    }

    public long[] adPostIds() {
        return adPostIds;
    }

    public WindowPacker.Packed packed() {
        return packed;
    }

    /** Packs the window into the packer's budget (or the shrunk budget after a context-length error). */
    void pack(WindowPacker packer, String systemPrompt) {
        if (budget == null) {
            budget = packer.budget();
        }
        WindowPacker current = budget.equals(packer.budget()) ? packer : new WindowPacker(packer.counter(), budget);
        packed = current.pack(systemPrompt, channel, texts);
    }

    /** Names the job in logs: its first ad post, and how many more share the window. */
    String describe() {
        return adPostIds.length == 1 ? Long.toString(adPostIds[0])
                : adPostIds[0] + " (+" + (adPostIds.length - 1) + ")";
    }
}
