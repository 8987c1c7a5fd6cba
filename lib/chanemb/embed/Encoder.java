package chanemb.embed;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import chanemb.Log;
import chanemb.UserException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face encoder loaded from a local folder through DJL: its tokenizer, one model and
 * one predictor for the whole run. Inputs longer than the model's limit are cut, never silently:
 * every result carries the full token count and a truncation flag.
 *
 * <p>Call it from one thread: batches may run on several predictors in parallel inside.
 */
public final class Encoder implements TextEncoder {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final ModelSpec spec;
    private final HuggingFaceTokenizer tokenizer;
    private final ZooModel<NDList, NDList> model;
    private final List<Predictor<NDList, NDList>> predictors = new ArrayList<>();
    private final java.util.concurrent.BlockingQueue<Predictor<NDList, NDList>> idle;
    private final java.util.concurrent.ExecutorService pool;
    private final List<String> inputs;
    private final int dimension;

    private Encoder(ModelSpec spec, HuggingFaceTokenizer tokenizer, ZooModel<NDList, NDList> model,
                    List<String> inputs, Threads threads) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.model = model;
        this.idle = new java.util.concurrent.ArrayBlockingQueue<>(threads.parallelBatches());
        for (int i = 0; i < threads.parallelBatches(); i++) {
            Predictor<NDList, NDList> predictor = model.newPredictor();
            predictors.add(predictor);
            idle.add(predictor);
        }
        this.pool = threads.parallelBatches() > 1
                ? java.util.concurrent.Executors.newFixedThreadPool(threads.parallelBatches(), r -> {
                    Thread thread = new Thread(r, "encoder");
                    thread.setDaemon(true);
                    return thread;
                })
                : null;
        this.inputs = inputs;
        this.dimension = probeDimension();
    }

    /**
     * How inference uses the cores: {@code parallelBatches} batches run at once, each on one
     * predictor of the same model, with {@code threadsPerBatch} engine threads each (0: the
     * engine's default, all cores).
     */
    public record Threads(int parallelBatches, int threadsPerBatch) {
        public Threads {
            if (parallelBatches < 1 || threadsPerBatch < 0) {
                throw new UserException("embed.invalid-threads", parallelBatches, threadsPerBatch);
            }
        }

        public static Threads engineDefault() {
            return new Threads(1, 0);
        }
    }

    /** Tokenized inputs, cut to the model's limit. */
    public record Tokenized(long[][] ids, long[][] typeIds, int[] fullLengths, boolean[] truncated) {
        public int size() {
            return ids.length;
        }

        public int[] lengths() {
            int[] lengths = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                lengths[i] = ids[i].length;
            }
            return lengths;
        }
    }

    /** Vectors in input order, with each input's full token count and whether it was cut. */
    public record Embedded(float[][] vectors, int[] tokenCounts, boolean[] truncated, long paddedTokens) {
    }

    /** Loads the model; fails with the missing jar's name when the engine's native library is absent. */
    public static Encoder load(ModelSpec spec) {
        return load(spec, Threads.engineDefault());
    }

    /** Loads the model with the given use of cores. */
    public static Encoder load(ModelSpec spec, Threads threads) {
        Engines.requireNative(spec.engine());
        HuggingFaceTokenizer tokenizer;
        try {
            // Truncation off: token counts must be the full ones; cutting is done below, from the
            // model's limit, whatever tokenizer.json says.
            tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(spec.dir().resolve(spec.tokenizerFile()))
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new UserException(e, "embed.tokenizer-failed", spec.dir().resolve(spec.tokenizerFile()), e.getMessage());
        }
        ZooModel<NDList, NDList> model;
        try {
            var criteria = Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optModelPath(spec.dir().resolve(spec.modelFile()))
                    .optEngine(spec.engine())
                    .optTranslator(new NoopTranslator());
            if (threads.threadsPerBatch() > 0 && spec.engine().equals("OnnxRuntime")) {
                criteria.optOption("intraOpNumThreads", Integer.toString(threads.threadsPerBatch()));
                criteria.optOption("interOpNumThreads", "1");
            }
            model = criteria.build().loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            tokenizer.close();
            throw new UserException(e, "embed.model-load-failed", spec.dir().resolve(spec.modelFile()), e.getMessage());
        }
        List<String> inputs = chooseInputs(spec, model.describeInput());
        Log.debug("Model {} inputs: {}", spec.id(), inputs);
        return new Encoder(spec, tokenizer, model, inputs, threads);
    }

    /**
     * The inputs to feed: the configured ones, else exactly those the model declares (ONNX
     * models name theirs), else input_ids and attention_mask in that order (TorchScript).
     */
    static List<String> chooseInputs(ModelSpec spec, PairList<String, Shape> declared) {
        if (!spec.inputs().isEmpty()) {
            return spec.inputs();
        }
        if (declared != null && !declared.isEmpty()) {
            List<String> names = new ArrayList<>(declared.keys());
            for (String name : names) {
                if (!List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(name)) {
                    throw new UserException("embed.unknown-input", name, spec.dir());
                }
            }
            return names;
        }
        return List.of(INPUT_IDS, ATTENTION_MASK);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    public List<String> inputs() {
        return inputs;
    }

    @Override
    public int[] countTokens(List<String> texts) {
        int[] counts = new int[texts.size()];
        Encoding[] encodings = tokenizer.batchEncode(texts);
        for (int i = 0; i < counts.length; i++) {
            counts[i] = encodings[i].getIds().length;
        }
        return counts;
    }

    /** Tokenizes already formatted texts and cuts each to the model's limit, keeping special tokens. */
    public Tokenized tokenize(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
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
                ids[i] = cut(encoding.getIds(), encoding.getSpecialTokenMask(), spec.maxTokens());
                types[i] = cut(encoding.getTypeIds(), encoding.getSpecialTokenMask(), spec.maxTokens());
            }
        }
        return new Tokenized(ids, types, full, truncated);
    }

    /**
     * Cuts a sequence to {@code max} tokens: leading and trailing special tokens ([CLS] and
     * [SEP], or &lt;s&gt; and &lt;/s&gt;) stay, the text tokens in between lose their end.
     */
    static long[] cut(long[] values, long[] specialMask, int max) {
        int lead = 0;
        while (lead < values.length && specialMask[lead] == 1) {
            lead++;
        }
        int trail = 0;
        while (trail < values.length - lead && specialMask[values.length - 1 - trail] == 1) {
            trail++;
        }
        int keep = Math.max(0, max - lead - trail);
        long[] out = new long[lead + keep + trail];
        System.arraycopy(values, 0, out, 0, lead + keep);
        System.arraycopy(values, values.length - trail, out, lead + keep, trail);
        return out;
    }

    /** Formats, tokenizes and embeds texts; empty texts are rejected, they must never reach the model. */
    @Override
    public Embedded embedTexts(List<String> texts, int maxBatchTokens, java.util.function.IntConsumer onBatch) {
        List<String> formatted = new ArrayList<>(texts.size());
        for (String text : texts) {
            if (text == null || text.isBlank()) {
                throw new IllegalArgumentException("Empty text passed to the encoder");
            }
            formatted.add(spec.format(text));
        }
        return embed(tokenize(formatted), maxBatchTokens, onBatch);
    }

    /** Embeds tokenized inputs in length-sorted batches of at most {@code maxBatchTokens} padded tokens. */
    public Embedded embed(Tokenized tokenized, int maxBatchTokens) {
        return embed(tokenized, maxBatchTokens, done -> { });
    }

    /** Like {@link #embed(Tokenized, int)}, reporting the number of inputs of each finished batch. */
    public Embedded embed(Tokenized tokenized, int maxBatchTokens, java.util.function.IntConsumer onBatch) {
        float[][] vectors = new float[tokenized.size()][];
        long padded = 0;
        List<Batches.Batch> batches = Batches.plan(tokenized.lengths(), maxBatchTokens, 256);
        if (pool == null) {
            for (Batches.Batch batch : batches) {
                store(vectors, batch, runBatch(tokenized, batch));
                padded += batch.paddedTokens();
                onBatch.accept(batch.indices().length);
            }
        } else {
            List<java.util.concurrent.Future<float[][]>> results = new ArrayList<>();
            for (Batches.Batch batch : batches) {
                results.add(pool.submit(() -> runBatch(tokenized, batch)));
            }
            for (int b = 0; b < batches.size(); b++) {
                store(vectors, batches.get(b), await(results.get(b)));
                padded += batches.get(b).paddedTokens();
                onBatch.accept(batches.get(b).indices().length);
            }
        }
        return new Embedded(vectors, tokenized.fullLengths(), tokenized.truncated(), padded);
    }

    private static void store(float[][] vectors, Batches.Batch batch, float[][] batchVectors) {
        for (int k = 0; k < batch.indices().length; k++) {
            vectors[batch.indices()[k]] = batchVectors[k];
        }
    }

    private static float[][] await(java.util.concurrent.Future<float[][]> result) {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while embedding", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private float[][] runBatch(Tokenized tokenized, Batches.Batch batch) {
        int rows = batch.indices().length;
        int length = batch.paddedLength();
        long[] ids = new long[rows * length];
        long[] mask = new long[rows * length];
        long[] types = new long[rows * length];
        int[] lengths = new int[rows];
        for (int r = 0; r < rows; r++) {
            int i = batch.indices()[r];
            long[] seq = tokenized.ids()[i];
            lengths[r] = seq.length;
            System.arraycopy(seq, 0, ids, r * length, seq.length);
            System.arraycopy(tokenized.typeIds()[i], 0, types, r * length, seq.length);
            java.util.Arrays.fill(mask, r * length, r * length + seq.length, 1L);
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(rows, length);
            NDList input = new NDList();
            for (String name : inputs) {
                long[] data = switch (name) {
                    case INPUT_IDS -> ids;
                    case ATTENTION_MASK -> mask;
                    default -> types;
                };
                NDArray array = manager.create(data, shape);
                array.setName(name);
                input.add(array);
            }
            NDList output = predict(input);
            NDArray hidden = lastHiddenState(output);
            float[] flat = hidden.toFloatArray();
            int dim = (int) hidden.getShape().get(hidden.getShape().dimension() - 1);
            float[][] out = new float[rows][];
            for (int r = 0; r < rows; r++) {
                out[r] = hidden.getShape().dimension() == 2
                        ? java.util.Arrays.copyOfRange(flat, r * dim, (r + 1) * dim)
                        : spec.pooling().pool(flat, r, length, dim, lengths[r]);
                if (spec.normalize() && !Pooling.normalize(out[r])) {
                    throw new IllegalStateException("Model returned a zero or non-finite vector");
                }
            }
            return out;
        } catch (TranslateException e) {
            throw new IllegalStateException("Inference failed on a batch of " + rows + " x " + length + " tokens: "
                    + e.getMessage(), e);
        }
    }

    /** Runs one batch on an idle predictor; each predictor serves one batch at a time. */
    private NDList predict(NDList input) throws TranslateException {
        Predictor<NDList, NDList> predictor;
        try {
            predictor = idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for a predictor", e);
        }
        try {
            return predictor.predict(input);
        } finally {
            idle.add(predictor);
        }
    }

    /** The token-level output [batch, tokens, hidden], or a pooled [batch, hidden] one if that is all there is. */
    private static NDArray lastHiddenState(NDList output) {
        NDArray named = output.get("last_hidden_state");
        if (named != null) {
            return named;
        }
        for (NDArray array : output) {
            if (array.getShape().dimension() == 3) {
                return array;
            }
        }
        return output.get(0);
    }

    private int probeDimension() {
        Tokenized probe = tokenize(List.of(spec.format("probe")));
        return runBatch(probe, new Batches.Batch(new int[] {0}, probe.ids()[0].length))[0].length;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        predictors.forEach(Predictor::close);
        model.close();
        tokenizer.close();
    }
}
