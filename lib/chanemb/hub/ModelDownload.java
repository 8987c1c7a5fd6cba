package chanemb.hub;

import chanemb.Json;
import chanemb.Log;
import chanemb.Progress;
import chanemb.UserException;
import chanemb.embed.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Downloads the files of a Hugging Face model that chanemb's loader reads into a local folder,
 * and writes {@code chanemb-model.json} there with the repository id, the revision and the
 * settings the hub files do not state.
 *
 * <p>All files come from the one commit the revision points to when the run starts. A rerun
 * skips files already present and verified, and continues partial ones.
 */
public final class ModelDownload {
    /** Files read by the loader or kept with the model when the repository has them, besides tokenizer and weights. */
    static final List<String> CONFIG_FILES = List.of("config.json", "tokenizer_config.json", "special_tokens_map.json",
            "modules.json", "1_Pooling/config.json", "sentence_bert_config.json");

    private ModelDownload() {
    }

    /** The kind of weights to fetch. */
    public enum Format {
        ONNX, TORCHSCRIPT,
        /** No weights: tokenizer and configuration only, for a model exported by hand into the folder. */
        NONE;

        public static Format parse(String value) {
            for (Format format : values()) {
                if (format.name().equalsIgnoreCase(value.trim())) {
                    return format;
                }
            }
            throw new UserException("download.invalid-format", value, "onnx, torchscript, none");
        }
    }

    /**
     * The files to fetch.
     *
     * @param weights   repository path of the model file, or null for {@link Format#NONE}
     * @param tokenizer repository path of tokenizer.json
     */
    public record Plan(String weights, String tokenizer, List<HubClient.RepoFile> files) {
    }

    /** Counts of one download. */
    public record Result(Path dir, String commit, int files, int downloaded, int resumed, int present, long bytes,
                         double seconds) {
    }

    /** Runs the whole download of {@code repo} at {@code revision} into {@code dir}. */
    public static Result run(HubClient hub, String repo, String revision, Path dir, Format format, String weightsFile) {
        long start = System.nanoTime();
        HubClient.requireRepoId(repo);
        requireSameModel(dir, repo);

        // 1. The commit the revision points to, and its files.
        String commit = hub.resolveCommit(repo, revision);
        Log.info("download.start", repo, revision, commit, hub.endpoint());
        List<HubClient.RepoFile> listing = hub.listFiles(repo, commit);
        Plan plan = plan(repo, revision, listing, format, weightsFile);

        // 2. The configuration, the tokenizer and the model file.
        Counts counts = new Counts();
        fetch(hub, repo, commit, dir, plan.files(), counts);

        // 3. The external data files the ONNX model names, which ONNX Runtime looks for next to it.
        if (format == Format.ONNX) {
            List<HubClient.RepoFile> external = externalData(dir, plan.weights(), listing, repo);
            fetch(hub, repo, commit, dir, external, counts);
        }

        // 4. chanemb-model.json, written last.
        writeModelConfig(dir, repo, revision, commit, plan);
        return new Result(dir, commit, counts.files, counts.downloaded, counts.resumed, counts.present, counts.bytes,
                (System.nanoTime() - start) / 1e9);
    }

    /** Chooses the files to fetch from a repository listing. */
    static Plan plan(String repo, String revision, List<HubClient.RepoFile> listing, Format format, String weightsFile) {
        Map<String, HubClient.RepoFile> byPath = listing.stream()
                .collect(Collectors.toMap(HubClient.RepoFile::path, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        String weights = switch (format) {
            case ONNX -> chooseOnnx(repo, revision, byPath, weightsFile);
            case TORCHSCRIPT -> chooseTorchScript(repo, revision, byPath, weightsFile);
            case NONE -> null;
        };
        String tokenizer = "tokenizer.json";
        if (!byPath.containsKey(tokenizer) && weights != null && weights.contains("/")) {
            tokenizer = weights.substring(0, weights.lastIndexOf('/') + 1) + "tokenizer.json";
        }
        if (!byPath.containsKey(tokenizer)) {
            throw new UserException("download.no-tokenizer", repo, revision);
        }
        List<HubClient.RepoFile> files = new ArrayList<>();
        for (String name : CONFIG_FILES) {
            if (byPath.containsKey(name)) {
                files.add(byPath.get(name));
            }
        }
        files.add(byPath.get(tokenizer));
        if (weights != null) {
            files.add(byPath.get(weights));
        }
        return new Plan(weights, tokenizer, files);
    }

    private static String chooseOnnx(String repo, String revision, Map<String, HubClient.RepoFile> files, String chosen) {
        List<String> onnx = files.keySet().stream().filter(p -> p.endsWith(".onnx")).sorted().toList();
        if (chosen != null) {
            return requireListed(repo, revision, files, chosen, onnx);
        }
        for (String usual : List.of("onnx/model.onnx", "model.onnx")) {
            if (files.containsKey(usual)) {
                return usual;
            }
        }
        if (!onnx.isEmpty()) {
            throw new UserException("download.choose-weights", repo, String.join(", ", onnx));
        }
        List<String> weights = files.keySet().stream()
                .filter(p -> p.endsWith(".safetensors") || p.endsWith(".bin") || p.endsWith(".pt")).sorted().toList();
        throw new UserException("download.no-onnx", repo, revision,
                weights.isEmpty() ? "-" : String.join(", ", weights), exportCommand(repo));
    }

    private static String chooseTorchScript(String repo, String revision, Map<String, HubClient.RepoFile> files,
                                            String chosen) {
        List<String> candidates = files.keySet().stream()
                .filter(p -> p.endsWith(".pt") || p.endsWith(".torchscript")).sorted().toList();
        if (chosen != null) {
            return requireListed(repo, revision, files, chosen, candidates);
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        if (candidates.isEmpty()) {
            throw new UserException("download.no-torchscript", repo, revision);
        }
        throw new UserException("download.choose-weights", repo, String.join(", ", candidates));
    }

    private static String requireListed(String repo, String revision, Map<String, HubClient.RepoFile> files, String chosen,
                                        List<String> candidates) {
        if (!files.containsKey(chosen)) {
            throw new UserException("download.weights-missing", chosen, repo, revision,
                    candidates.isEmpty() ? "-" : String.join(", ", candidates));
        }
        return chosen;
    }

    /** Returns the shell command that exports a repository's model to ONNX with Hugging Face Optimum. */
    static String exportCommand(String repo) {
        String name = repo.substring(repo.lastIndexOf('/') + 1);
        return "optimum-cli export onnx --model " + repo + " --task feature-extraction --library-name transformers "
                + name + "-onnx";
    }

    /** The listed files that the downloaded ONNX model stores tensors in, with paths relative to the repository. */
    static List<HubClient.RepoFile> externalData(Path dir, String weights, List<HubClient.RepoFile> listing, String repo) {
        Set<String> names;
        try {
            names = OnnxExternalData.locations(inside(dir, weights));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String folder = weights.contains("/") ? weights.substring(0, weights.lastIndexOf('/') + 1) : "";
        List<HubClient.RepoFile> files = new ArrayList<>();
        for (String name : names) {
            String path = folder + name;
            HubClient.RepoFile file = listing.stream().filter(f -> f.path().equals(path)).findFirst()
                    .orElseThrow(() -> new UserException("download.external-missing", weights, path, repo));
            files.add(file);
        }
        return files;
    }

    /** Settings of the team's models that their hub files do not state, or that must not be left to a default. */
    static Map<String, Object> knownSettings(String repo) {
        String name = repo.toLowerCase(Locale.ROOT);
        Map<String, Object> settings = new LinkedHashMap<>();
        if (name.contains("e5") && name.contains("instruct")) {
            // e5-instruct models embed queries as an instruction plus the text.
            settings.put("template", "Instruct: {task}\nQuery: {text}");
            settings.put("task", ModelSpec.DEFAULT_TASK);
        }
        if (name.contains("bge-m3")) {
            // bge-m3 dense vectors are the [CLS] state; XLM-R with 8,194 positions minus the
            // padding offset of 2 reads 8,192 tokens.
            settings.put("pooling", "cls");
            settings.put("max_tokens", 8192);
        }
        return settings;
    }

    /**
     * Writes chanemb-model.json: id, revision, commit, model and tokenizer files and the known
     * settings. Keys a user added to an existing file of the same model are kept.
     */
    static void writeModelConfig(Path dir, String repo, String revision, String commit, Plan plan) {
        Path file = dir.resolve(ModelSpec.CONFIG_FILE);
        Map<String, Object> config = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            Json.read(file, JsonNode.class).properties().forEach(e -> config.put(e.getKey(), e.getValue()));
        }
        config.put("id", repo);
        config.put("revision", revision);
        config.put("commit", commit);
        if (plan.weights() != null) {
            config.put("model_file", plan.weights());
            config.put("engine", plan.weights().endsWith(".onnx") ? "OnnxRuntime" : "PyTorch");
        }
        if (!plan.tokenizer().equals("tokenizer.json")) {
            config.put("tokenizer_file", plan.tokenizer());
        }
        config.putAll(knownSettings(repo));
        Json.writeAtomically(file, config);
    }

    /** Fails when {@code dir} already contains another repository's model. */
    private static void requireSameModel(Path dir, String repo) {
        Path file = dir.resolve(ModelSpec.CONFIG_FILE);
        if (Files.isRegularFile(file)) {
            String id = Json.read(file, JsonNode.class).path("id").asText("");
            if (!id.isEmpty() && !id.equals(repo)) {
                throw new UserException("download.other-model", dir, id, repo);
            }
        }
    }

    private static final class Counts {
        int files;
        int downloaded;
        int resumed;
        int present;
        long bytes;
    }

    /** Fetches the files that are not already in place, with progress in megabytes. */
    private static void fetch(HubClient hub, String repo, String commit, Path dir, List<HubClient.RepoFile> files,
                              Counts counts) {
        List<HubClient.RepoFile> missing = new ArrayList<>();
        long bytesToFetch = 0;
        for (HubClient.RepoFile file : files) {
            Path target = inside(dir, file.path());
            counts.files++;
            if (isPresent(file, target)) {
                counts.present++;
            } else {
                missing.add(file);
                bytesToFetch += Math.max(0, file.size() - partSize(target));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        Log.info("download.fetching", missing.size(), files.size(), bytesToFetch / 1e6);
        long[] pending = {0};
        try (Progress progress = Progress.start("download", "MB", Math.max(1, Math.round(bytesToFetch / 1e6)))) {
            for (HubClient.RepoFile file : missing) {
                HubClient.Fetch fetch = hub.download(repo, commit, file, inside(dir, file.path()), n -> {
                    pending[0] += n;
                    if (pending[0] >= 1_000_000) {
                        progress.advance(pending[0] / 1_000_000);
                        pending[0] %= 1_000_000;
                    }
                });
                switch (fetch) {
                    case PRESENT -> counts.present++;
                    case RESUMED -> counts.resumed++;
                    default -> counts.downloaded++;
                }
                if (fetch != HubClient.Fetch.PRESENT) {
                    counts.bytes += file.size();
                }
            }
        }
    }

    private static boolean isPresent(HubClient.RepoFile file, Path target) {
        try {
            return Files.isRegularFile(target) && HubClient.matches(file, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long partSize(Path target) {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        try {
            return Files.isRegularFile(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Resolves a repository path inside {@code dir}, rejecting paths that would leave it. */
    static Path inside(Path dir, String path) {
        Path root = dir.toAbsolutePath().normalize();
        Path target = root.resolve(path).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new UserException("download.unsafe-path", path);
        }
        return target;
    }
}
