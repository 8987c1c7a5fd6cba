package chanemb.llm;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Packs a window into a token budget before the call: every post longer than
 * {@code maxPostTokens} is trimmed (its end is cut), then the oldest posts are dropped until the
 * system message, the user message and the chat template's overhead fit in
 * {@code maxInputTokens}. When even the newest post alone does not fit, it is trimmed further.
 * Every trim and drop is counted in the result, which the output record keeps.
 *
 * <p>Per-post counts choose what to drop. The whole message is then counted once more, and one
 * more post goes for as long as it is still over the budget, so the budget is kept whatever the
 * tokenizer does at the boundaries between posts.
 */
public final class WindowPacker {
    /**
     * Tokens a chat template adds per message (role markers and separators). Mistral's and
     * common OpenAI-compatible templates add fewer than 8 per message; this errs on the safe side.
     */
    public static final int MESSAGE_OVERHEAD = 8;

    /** Minimum tokens of post text worth sending when the newest post must be cut to fit. */
    static final int MIN_POST_TOKENS = 16;

    private final TokenCounter counter;
    private final Budget budget;

    public WindowPacker(TokenCounter counter, Budget budget) {
        this.counter = counter;
        this.budget = budget;
    }

    /** Token limits of one prompt: the whole input, and each post on its own. */
    public record Budget(int maxInputTokens, int maxPostTokens) {
        public Budget {
            if (maxInputTokens < 1 || maxPostTokens < 1) {
                throw new IllegalArgumentException("token budgets must be positive");
            }
        }

        /**
         * Returns the budget after a context-length rejection of a prompt of {@code rejectedTokens}:
         * three quarters of that prompt (or of this budget, if smaller), so the next prompt is shorter.
         */
        public Budget shrunk(int rejectedTokens) {
            int input = Math.max(1, Math.min(maxInputTokens, rejectedTokens) * 3 / 4);
            return new Budget(input, Math.min(maxPostTokens, input));
        }
    }

    /**
     * A packed window. {@code userMessage} is null when nothing fits (the system message alone
     * uses the budget); {@code inputTokens} counts system message, user message and overhead.
     */
    public record Packed(String userMessage, int inputTokens, int postsIn, int postsUsed, int postsDropped,
                         int postsTrimmed) {
        public boolean fits() {
            return userMessage != null;
        }
    }

    public Budget budget() {
        return budget;
    }

    public TokenCounter counter() {
        return counter;
    }

    /**
     * Packs one window.
     *
     * @param systemMessage the system prompt sent with it
     * @param posts         texts of the previous posts, oldest first, none empty
     */
    public Packed pack(String systemMessage, WindowPrompt.Channel channel, List<String> posts) {
        int fixed = counter.count(systemMessage) + 2 * MESSAGE_OVERHEAD
                + counter.count(WindowPrompt.format(channel, List.of()));
        int wrapper = counter.count(WindowPrompt.postWrapper(posts.size(), true));

        // 1. Trim long posts to the per-post limit.
        List<String> texts = new ArrayList<>(posts.size());
        BitSet trimmed = new BitSet();
        int[] cost = new int[posts.size()];
        for (int i = 0; i < posts.size(); i++) {
            String text = posts.get(i).strip();
            if (counter.count(text) > budget.maxPostTokens()) {
                text = counter.cut(text, budget.maxPostTokens()).strip();
                trimmed.set(i);
            }
            texts.add(text);
            cost[i] = counter.count(escaped(text)) + wrapper;
        }

        // 2. Drop the oldest posts until the estimate fits.
        int first = 0;
        long total = fixed;
        for (int c : cost) {
            total += c;
        }
        while (total > budget.maxInputTokens() && first < texts.size() - 1) {
            total -= cost[first];
            first++;
        }

        // 3. Count the real message; drop or cut more while it is over the budget.
        while (true) {
            List<String> kept = texts.subList(first, texts.size());
            BitSet keptTrimmed = trimmed.get(first, texts.size());
            String message = WindowPrompt.format(channel, kept, keptTrimmed);
            int tokens = counter.count(systemMessage) + 2 * MESSAGE_OVERHEAD + counter.count(message);
            if (tokens <= budget.maxInputTokens()) {
                return new Packed(message, tokens, posts.size(), kept.size(), first, keptTrimmed.cardinality());
            }
            if (kept.size() > 1) {
                first++;
                continue;
            }
            // Only the newest post is left: cut it by the excess, while some text remains.
            int last = texts.size() - 1;
            int keep = counter.count(texts.get(last)) - (tokens - budget.maxInputTokens());
            if (keep < MIN_POST_TOKENS) {
                return new Packed(null, tokens, posts.size(), 0, posts.size(), 0);
            }
            texts.set(last, counter.cut(texts.get(last), keep).strip());
            trimmed.set(last);
        }
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        WindowPrompt.escape(text, out);
        return out.toString();
    }
}
