package chanemb.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import chanemb.UserException;
import java.io.IOException;
import java.util.List;

/**
 * A model's {@code tokenizer.json} loaded with the settings {@link Encoder} uses: special tokens
 * added, no truncation and no padding, so counts are the full ones and cutting to
 * {@link ModelSpec#maxTokens()} happens here, whatever the file says. {@link RemoteEncoder}
 * counts and cuts with it, so its counts and truncation flags equal the local encoder's.
 */
public final class ModelTokenizer implements AutoCloseable {
    private final ModelSpec spec;
    private final HuggingFaceTokenizer tokenizer;

    private ModelTokenizer(ModelSpec spec, HuggingFaceTokenizer tokenizer) {
        this.spec = spec;
        this.tokenizer = tokenizer;
    }

    public static ModelTokenizer load(ModelSpec spec) {
        try {
            return new ModelTokenizer(spec, HuggingFaceTokenizer.builder()
                    .optTokenizerPath(spec.dir().resolve(spec.tokenizerFile()))
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build());
        } catch (IOException | RuntimeException e) {
            throw new UserException(e, "embed.tokenizer-failed", spec.dir().resolve(spec.tokenizerFile()), e.getMessage());
        }
    }

    /** Counts the tokens of each text, special tokens included, without cutting anything. */
    public int[] countTokens(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int[] counts = new int[encodings.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = encodings[i].getIds().length;
        }
        return counts;
    }

    /**
     * Tokenizes already formatted texts and cuts each to the model's limit the way
     * {@link Encoder#tokenize} does: special tokens at both ends stay, text tokens lose their end.
     */
    public Encoder.Tokenized tokenize(List<String> texts) {
        return tokenize(tokenizer.batchEncode(texts));
    }

    private Encoder.Tokenized tokenize(Encoding[] encodings) {
        int n = encodings.length;
        long[][] ids = new long[n][];
        long[][] types = new long[n][];
        int[] full = new int[n];
        boolean[] truncated = new boolean[n];
        for (int i = 0; i < n; i++) {
            Encoding encoding = encodings[i];
            full[i] = encoding.getIds().length;
            if (full[i] <= spec.maxTokens()) {
                ids[i] = encoding.getIds();
                types[i] = encoding.getTypeIds();
            } else {
                truncated[i] = true;
                ids[i] = Encoder.cut(encoding.getIds(), encoding.getSpecialTokenMask(), spec.maxTokens());
                types[i] = Encoder.cut(encoding.getTypeIds(), encoding.getSpecialTokenMask(), spec.maxTokens());
            }
        }
        return new Encoder.Tokenized(ids, types, full, truncated);
    }

    /**
     * Returns the longest beginning of {@code text}, ending at a token boundary, that the
     * tokenizer turns into at most {@link ModelSpec#maxTokens()} tokens with special tokens; the
     * text itself when it fits. This is what a server that takes only strings gets for a long
     * input, so it embeds what {@link #tokenize} keeps.
     *
     * <p>Re-tokenizing a cut text can merge or split pieces at the cut, so each candidate is
     * counted again, and the cut moves back by 1, 2, 4... tokens until it fits. Token spans are in
     * code points, so a cut never splits a surrogate pair.
     */
    public String cutText(String text) {
        Encoding encoding = tokenizer.encode(text);
        long[] special = encoding.getSpecialTokenMask();
        if (special.length <= spec.maxTokens()) {
            return text;
        }

        CharSpan[] spans = encoding.getCharTokenSpans();
        int specials = 0;
        for (long flag : special) {
            specials += (int) flag;
        }
        // Text tokens that fit: the limit minus the special tokens, e.g. 512 - [CLS] - [SEP] = 510.
        int keep = spec.maxTokens() - specials;
        int textTokensSeen = 0;
        int lastKept = -1;
        for (int t = 0; t < special.length && textTokensSeen < keep; t++) {
            if (special[t] == 0) {
                textTokensSeen++;
                lastKept = t;
            }
        }

        int step = 1;
        for (int t = lastKept; t >= 0; t -= step) {
            if (special[t] == 1 || spans[t] == null) {
                continue;
            }
            String candidate = text.substring(0, text.offsetByCodePoints(0, spans[t].getEnd()));
            if (tokenizer.encode(candidate).getIds().length <= spec.maxTokens()) {
                return candidate;
            }
            step *= 2;
        }
        throw new IllegalStateException("No beginning of a " + special.length + "-token text fits in "
                + spec.maxTokens() + " tokens");
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
