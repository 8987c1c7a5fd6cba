package chanemb.llm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import chanemb.Dataset;
import chanemb.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Exact token counts from the LLM's own tokenizer.json, through DJL's Hugging Face tokenizer
 * (a native library unpacked from its jar; nothing is downloaded). Special tokens are not
 * counted here: the chat template's tokens are part of the fixed per-message overhead.
 */
public final class HuggingFaceTokenCounter implements TokenCounter, AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final String id;

    private HuggingFaceTokenCounter(HuggingFaceTokenizer tokenizer, String id) {
        this.tokenizer = tokenizer;
        this.id = id;
    }

    /** Loads a tokenizer.json; fails with the path and the fix when it is missing or invalid. */
    public static HuggingFaceTokenCounter load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserException("summarize.tokenizer-missing", file);
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new HuggingFaceTokenCounter(tokenizer, "tokenizer:" + Dataset.sha256(file).substring(0, 12));
        } catch (IOException | RuntimeException e) {
            throw new UserException(e, "summarize.tokenizer-failed", file, e.getMessage());
        }
    }

    @Override
    public int count(String text) {
        return tokenizer.encode(text).getIds().length;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
