package chanemb.lengths;

import chanemb.Upload;
import chanemb.embed.ModelSpec;
import chanemb.llm.RateLimiter;
import chanemb.llm.WindowPrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * What the step counts with: the LLM side as summarize sees it, and every configured embedding
 * model. Owns the token counters and closes them.
 *
 * @param referenceLimits token limits drawn and tabulated for every embedding input besides each
 *                        model's own, e.g. 512 (e5) and 8,192 (bge-m3)
 */
public record Counting(Llm llm, List<Model> models, List<Integer> referenceLimits) implements AutoCloseable {

    /**
     * The LLM side: its token counter, the system prompt, summarize's budgets and the rate limits
     * of all keys together.
     *
     * @param systemTokens tokens of the system prompt, counted once
     */
    public record Llm(BatchCounter counter, String systemPrompt, int systemTokens, int maxInputTokens,
                      int maxPostTokens, int maxOutputTokens, RateLimiter.Limits limits) {
    }

    /**
     * An embedding model: its settings and tokenizer.
     *
     * @param name           short name, used in column names ({@code tokens__<name>})
     * @param templateTokens tokens of the model's template around an empty text, special tokens included
     */
    public record Model(String name, ModelSpec spec, BatchCounter counter, int templateTokens) {
        /** Column name of a token count of this model, e.g. {@code long_tokens__e5_small_v2_q}. */
        public String column(String prefix) {
            return Upload.columnName(prefix, name);
        }

        /** Counts already laid out texts after applying the model's template. */
        int[] countFormatted(List<String> texts) {
            List<String> formatted = new ArrayList<>(texts.size());
            for (String text : texts) {
                formatted.add(spec.format(text));
            }
            return counter.count(formatted);
        }
    }

    /** Opens the token counter of a model and counts its template once. */
    public static Model model(ModelSpec spec) {
        BatchCounter counter = BatchCounter.embedding(spec);
        int templateTokens = counter.count(List.of(spec.format("")))[0];
        return new Model(spec.shortName(), spec, counter, templateTokens);
    }

    /** Returns the text of a post as the summarization prompt holds it: stripped, with entities. */
    static String promptText(String post) {
        StringBuilder out = new StringBuilder(post.length() + 16);
        WindowPrompt.escape(post.strip(), out);
        return out.toString();
    }

    /** Limits of embedding inputs: the reference limits and each model's own, ascending and distinct. */
    public List<Integer> embeddingLimits() {
        List<Integer> limits = new ArrayList<>(referenceLimits);
        for (Model model : models) {
            limits.add(model.spec().maxTokens());
        }
        return limits.stream().distinct().sorted().toList();
    }

    @Override
    public void close() {
        llm.counter().close();
        for (Model model : models) {
            model.counter().close();
        }
    }
}
