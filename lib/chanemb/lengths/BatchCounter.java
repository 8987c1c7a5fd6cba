package chanemb.lengths;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import chanemb.Dataset;
import chanemb.UserException;
import chanemb.embed.ModelSpec;
import chanemb.llm.TokenEstimate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Counts the tokens of many texts at once, never cutting anything.
 *
 * <p>{@link #embedding} counts the way {@code chanemb.embed.ModelTokenizer} does (special tokens
 * added, as the model sees them); {@link #llm} counts the way
 * {@code chanemb.llm.HuggingFaceTokenCounter} does (no special tokens: the chat template's tokens
 * are a fixed overhead per message); {@link #estimate} is summarize's estimate from characters.
 */
public interface BatchCounter extends AutoCloseable {
    /** Returns the token count of every text, in order. */
    int[] count(List<String> texts);

    /** Names the counter in reports and output parameters: "estimate" or "tokenizer:" and a file hash. */
    String id();

    /** True when the counts come from summarize's estimate and not from a tokenizer. */
    default boolean isEstimate() {
        return false;
    }

    /**
     * Says how the counts are made: "estimate", "whole" (each text tokenized), or "words" (from
     * the counts of known words, see {@link WordCache}); "whole" with the reason when the words'
     * counts differed from whole counts on a checked text.
     */
    default String method() {
        return "whole";
    }

    @Override
    void close();

    /** The embedding model's tokenizer.json, with special tokens, as the encoder uses it. */
    static BatchCounter embedding(ModelSpec spec) {
        Path file = spec.dir().resolve(spec.tokenizerFile());
        return HuggingFace.load(file, true, "embed.tokenizer-failed");
    }

    /** An LLM's tokenizer.json, without special tokens, as summarize counts prompt text. */
    static BatchCounter llm(Path tokenizerFile) {
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new UserException("summarize.tokenizer-missing", tokenizerFile);
        }
        return HuggingFace.load(tokenizerFile, false, "summarize.tokenizer-failed");
    }

    /** Summarize's estimate when no LLM tokenizer is given; see {@link TokenEstimate}. */
    static BatchCounter estimate() {
        return new Estimate();
    }

    /** Counts with {@link TokenEstimate}, which is a pure function of the characters. */
    final class Estimate implements BatchCounter {
        @Override
        public int[] count(List<String> texts) {
            int[] counts = new int[texts.size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = TokenEstimate.INSTANCE.count(texts.get(i));
            }
            return counts;
        }

        @Override
        public String id() {
            return TokenEstimate.INSTANCE.id();
        }

        @Override
        public boolean isEstimate() {
            return true;
        }

        @Override
        public String method() {
            return "estimate";
        }

        @Override
        public void close() {
        }
    }

    /**
     * Counts with a Hugging Face tokenizer.json through DJL's native tokenizer, with truncation
     * and padding turned off whatever the file says, so a 2,000-token text counts 2,000.
     *
     * <p>Texts are split into one slice per core, and each slice is encoded on its own thread.
     * Only the token ids of each encoding are read, through DJL's JNI binding: building DJL's
     * {@code Encoding} objects copies tokens, offsets and masks for every token, which halved the
     * rate on Russian posts (0.3 against 0.7 million characters per second on one core, measured
     * with the bundled e5 tokenizer).
     *
     * <p>Even so, a gigabyte of posts takes longer than the step may. Where tokenizer.json allows
     * it, counts are therefore made from the counts of words, each word tokenized once (see
     * {@link WordCache}); the first {@value #CHECK_TEXTS} texts are counted both ways to confirm it.
     * Not thread-safe beyond {@link #count}, which is synchronized.
     */
    final class HuggingFace implements BatchCounter {
        /** Texts below which a batch is not split across threads. */
        private static final int MIN_SLICE = 64;

        /** Texts counted both whole and from their words before the word cache is trusted. */
        static final int CHECK_TEXTS = 2000;

        private final HuggingFaceTokenizer tokenizer;
        private final boolean addSpecialTokens;
        private final String id;
        private final int threads;
        private final ExecutorService pool;
        /** Counts from known words, or null when this tokenizer is always counted whole. */
        private WordCache words;
        private int specialTokens;
        private long checked;
        private String mismatch;

        private HuggingFace(HuggingFaceTokenizer tokenizer, boolean addSpecialTokens, String id, boolean byWords) {
            this.tokenizer = tokenizer;
            this.addSpecialTokens = addSpecialTokens;
            this.id = id;
            this.threads = Math.max(1, Runtime.getRuntime().availableProcessors());
            this.pool = Executors.newFixedThreadPool(threads, runnable -> {
                Thread thread = new Thread(runnable, "analyze_lengths-tokenizer");
                thread.setDaemon(true);
                return thread;
            });
            if (byWords) {
                this.words = new WordCache();
                this.specialTokens = countWhole(List.of(""), addSpecialTokens)[0];
            }
        }

        static HuggingFace load(Path file, boolean addSpecialTokens, String failureKey) {
            return load(file, addSpecialTokens, failureKey, WordCache.supports(file));
        }

        /** Loads a tokenizer; {@code byWords} asks for the word cache whatever tokenizer.json says (for tests). */
        static HuggingFace load(Path file, boolean addSpecialTokens, String failureKey, boolean byWords) {
            try {
                HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                        .optTokenizerPath(file)
                        .optAddSpecialTokens(addSpecialTokens)
                        .optTruncation(false)
                        .optPadding(false)
                        .build();
                return new HuggingFace(tokenizer, addSpecialTokens, "tokenizer:" + Dataset.sha256(file).substring(0, 12),
                        byWords);
            } catch (IOException | RuntimeException e) {
                throw new UserException(e, failureKey, file, e.getMessage());
            }
        }

        /**
         * Counts from the word cache when the tokenizer allows it; the first {@value #CHECK_TEXTS}
         * texts are also counted whole, and one difference turns the cache off for good.
         */
        @Override
        public synchronized int[] count(List<String> texts) {
            if (words == null) {
                return countWhole(texts, addSpecialTokens);
            }
            int[] counts = words.count(texts, specialTokens, pieces -> countWhole(pieces, false));
            if (checked < CHECK_TEXTS) {
                int[] whole = countWhole(texts, addSpecialTokens);
                for (int i = 0; i < whole.length; i++) {
                    if (whole[i] != counts[i]) {
                        mismatch = whole[i] + " tokens counted whole, " + counts[i] + " from words, in a text of "
                                + texts.get(i).length() + " characters";
                        words = null;
                        return whole;
                    }
                }
                checked += texts.size();
            }
            return counts;
        }

        @Override
        public synchronized String method() {
            if (words != null) {
                return "words";
            }
            return mismatch == null ? "whole" : "whole (" + mismatch + ")";
        }

        private int[] countWhole(List<String> texts, boolean addSpecialTokens) {
            int[] counts = new int[texts.size()];
            int slices = Math.min(threads, Math.max(1, texts.size() / MIN_SLICE));
            if (slices == 1) {
                countSlice(texts, 0, texts.size(), counts, addSpecialTokens);
                return counts;
            }
            List<Future<?>> running = new ArrayList<>(slices);
            int size = (texts.size() + slices - 1) / slices;
            for (int from = 0; from < texts.size(); from += size) {
                int start = from;
                int end = Math.min(texts.size(), from + size);
                running.add(pool.submit(() -> countSlice(texts, start, end, counts, addSpecialTokens)));
            }
            try {
                for (Future<?> slice : running) {
                    slice.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while counting tokens", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Counting tokens failed: " + e.getCause().getMessage(), e.getCause());
            }
            return counts;
        }

        private void countSlice(List<String> texts, int from, int to, int[] counts, boolean addSpecialTokens) {
            String[] slice = texts.subList(from, to).toArray(String[]::new);
            long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), slice, addSpecialTokens);
            try {
                for (int i = 0; i < encodings.length; i++) {
                    counts[from + i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]).length;
                }
            } finally {
                for (long encoding : encodings) {
                    TokenizersLibrary.LIB.deleteEncoding(encoding);
                }
            }
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void close() {
            pool.shutdownNow();
            tokenizer.close();
        }
    }
}
