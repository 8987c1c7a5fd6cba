package chanemb.lengths;

import chanemb.Dataset;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.Table;

/** The text of {@code report.md}: counts, tokenizers, distributions, limits, the LLM budget and histograms. */
final class LengthMarkdown {
    private LengthMarkdown() {
    }

    static String render(Path dir, Counting counting, LengthReport.Context context, LengthReport.Tables tables,
                         List<String> charts) {
        Map<String, Object> windowCounts = Dataset.require(dir.resolve("windows"), LengthAnalysis.STEP).counts();
        long posts = Dataset.require(dir.resolve("posts"), LengthAnalysis.STEP).rows();
        long channels = Dataset.require(dir.resolve("channels"), LengthAnalysis.STEP).rows();
        long adPosts = ((Number) windowCounts.get("ad_posts")).longValue();
        long withText = ((Number) windowCounts.get("with_text")).longValue();
        Table distributions = tables.distributions();
        Table shown = distributions.where(distributions.longColumn("count").isGreaterThan(0));
        Table limits = tables.limits();
        Table shownLimits = limits.where(limits.longColumn("inputs").isGreaterThan(0));

        StringBuilder md = new StringBuilder("# Input lengths\n\n");
        md.append(String.format(Locale.ROOT, "%,d ad posts, %,d of them with at least one previous post with text"
                + " (the others get no prompt and no window input); %,d distinct previous posts with text; %,d channels"
                + " with a title or description; %,d LLM summaries.%n%n", adPosts, withText, posts, channels,
                context.summaries()));
        md.append("Characters are Unicode code points and words are runs of characters between whitespace, as Python's"
                + " `len(text)` and `len(text.split())` count them. Token counts are never cut to a limit.\n\n");

        md.append("## Tokenizers\n\n");
        md.append("| tokenizer | counts | template | template tokens | max tokens | windows and long inputs |\n");
        md.append("|---|---|---|---:|---:|---|\n");
        Counting.Llm llm = counting.llm();
        String llmName = LengthReport.llmName(counting);
        md.append("| ").append(llmName).append(" | ")
                .append(llm.counter().isEstimate()
                        ? "an estimate, not a tokenizer: 4 ASCII characters, 2 other BMP characters (Cyrillic) or"
                        + " 1 character outside the BMP (emoji) per token, as summarize estimates without --tokenizer"
                        : "the LLM's tokenizer.json, without special tokens" + howCounted(llm.counter()))
                .append(String.format(Locale.ROOT, "; a request adds %d tokens per message for the chat template",
                        chanemb.llm.WindowPacker.MESSAGE_OVERHEAD))
                .append(" | system prompt: ").append(String.format(Locale.ROOT, "%,d", llm.systemTokens()))
                .append(" tokens | - | ").append(String.format(Locale.ROOT, "%,d", llm.maxInputTokens()))
                .append(" | ").append(windowCount(context, llmName)).append(" |\n");
        for (Counting.Model model : counting.models()) {
            md.append("| ").append(model.name()).append(" (").append(model.counter().id()).append(')')
                    .append(" | the model's tokenizer.json, special tokens included").append(howCounted(model.counter()))
                    .append(" | `")
                    .append(model.spec().resolvedTemplate().replace("\n", "\\n").replace("|", "\\|")).append("` | ")
                    .append(model.templateTokens()).append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", model.spec().maxTokens())).append(" | ")
                    .append(windowCount(context, model.name())).append(" |\n");
        }
        md.append('\n');

        md.append("## Distributions\n\n");
        md.append("- **post**: each distinct previous post with text. Its embedding-model tokens are those of the pooling"
                + " input (the model's template around the post); its LLM tokens are those of the post inside the"
                + " prompt (stripped, with `&`, `<`, `>` as entities), without the `<post>` element.\n");
        md.append("- **window**: the user message of summarize, one per ad post: title, description and posts in"
                + " `<post>` elements, exactly as `WindowPrompt.format` joins them.\n");
        md.append("- **request**: system prompt plus window and the chat template's overhead, once per distinct window"
                + " (ad posts with the same previous posts share one call).\n");
        md.append("- **long input**, **summary input**, **profile input**: the embedding inputs of the long, summary"
                + " and profile approaches. Characters and words are of the labelled layout; tokens include the"
                + " model's template (instruction prefix) and special tokens.\n\n");
        md.append("Standard deviation is the sample one; percentiles interpolate between ranks, as pandas' `describe()`."
                + "\n\n");
        md.append(LengthReport.markdownTable(shown)).append('\n');
        if (shown.rowCount() < distributions.rowCount()) {
            md.append("Inputs with no rows (for example summary inputs before summarize has run) are in"
                    + " distributions.csv only.\n\n");
        }

        md.append("## Inputs over each limit\n\n");
        md.append("An input over a limit is cut when it is embedded (the end of a post, the oldest posts of a long"
                + " input) or packed (posts over --max-post-tokens are trimmed, and requests over --max-input-tokens"
                + " lose their oldest posts).\n\n");
        md.append(LengthReport.markdownTable(shownLimits)).append('\n');

        md.append("## The whole summarize job\n\n");
        md.append(String.format(Locale.ROOT, "At the limits summarize uses: %s, %s requests per second, %s tokens per"
                        + " minute and %s tokens per month for all keys together (0 means no limit). Output tokens are"
                        + " counted at their budget, as summarize's own estimate does.%s%n%n",
                llmName, number(llm.limits().requestsPerSecond()), number(llm.limits().tokensPerMinute()),
                number(llm.limits().tokensPerMonth()), llm.counter().isEstimate()
                        ? " Token figures are estimates: give --tokenizer with the LLM's tokenizer.json for exact counts."
                        : ""));
        md.append(LengthReport.markdownTable(tables.budget())).append('\n');

        md.append("## Histograms\n\n");
        for (String chart : charts) {
            md.append("![").append(chart).append("](").append(chart).append(")\n\n");
        }

        md.append("## Reproduce\n\n```\n").append(context.command()).append("\n```\n");
        return md.toString();
    }

    /** How a tokenizer's counts of texts were made in this run. */
    private static String howCounted(BatchCounter counter) {
        String method = counter.method();
        if (method.equals("words")) {
            return "; each distinct word tokenized once and the counts summed, equal to whole-text counts on the first "
                    + String.format(Locale.ROOT, "%,d", BatchCounter.HuggingFace.CHECK_TEXTS) + " texts";
        }
        return "; each text tokenized whole" + (method.startsWith("whole (") ? ": word counts differed, "
                + method.substring("whole (".length(), method.length() - 1) : "");
    }

    private static String windowCount(LengthReport.Context context, String tokenizer) {
        return context.windowCounts().getOrDefault(tokenizer, "direct").replace("|", "\\|");
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%,d", (long) value)
                : String.format(Locale.ROOT, "%s", value);
    }
}
