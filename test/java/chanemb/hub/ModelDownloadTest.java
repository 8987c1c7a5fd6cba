package chanemb.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chanemb.Json;
import chanemb.UserException;
import chanemb.embed.ModelSpec;
import chanemb.embed.Pooling;
import chanemb.embed.RemoteException;
import chanemb.embed.RetryPolicy;
import chanemb.embed.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** download_model's library against a fake hub on loopback that serves the bundled model's files. */
class ModelDownloadTest {
    static final String E5 = "test-org/multilingual-e5-small-instruct";
    static final String BERT_CONFIG = "{\"model_type\":\"bert\",\"max_position_embeddings\":512,\"hidden_size\":384}";
    private static final RetryPolicy FAST = new RetryPolicy(2, Duration.ofSeconds(30), Duration.ofMillis(50),
            Duration.ofMillis(200));

    @TempDir
    Path dir;

    private FakeHub hub;
    private Map<String, byte[]> files;

    @BeforeEach
    void startHub() throws Exception {
        files = FakeHub.bundledRepo(TestModels.bundled().dir(), BERT_CONFIG);
        hub = FakeHub.start().repo(E5, files);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void downloadsLoaderFilesAndWritesSettings() throws Exception {
        Path model = dir.resolve("e5");

        ModelDownload.Result result = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(result.commit()).isEqualTo(FakeHub.COMMIT);
        assertThat(result.downloaded()).isEqualTo(5);
        assertThat(model.resolve("onnx/model.onnx")).hasBinaryContent(files.get("onnx/model.onnx"));
        assertThat(model.resolve("tokenizer.json")).hasBinaryContent(files.get("tokenizer.json"));
        assertThat(model.resolve("1_Pooling/config.json")).exists();
        assertThat(model.resolve("README.md")).doesNotExist();
        assertThat(model.resolve("model.safetensors")).doesNotExist();
        try (var walk = Files.walk(model)) {
            assertThat(walk.filter(p -> p.toString().endsWith(".part"))).isEmpty();
        }
        JsonNode written = Json.read(model.resolve(ModelSpec.CONFIG_FILE), JsonNode.class);
        assertThat(written.path("id").asText()).isEqualTo(E5);
        assertThat(written.path("revision").asText()).isEqualTo("main");
        assertThat(written.path("commit").asText()).isEqualTo(FakeHub.COMMIT);
        assertThat(written.path("model_file").asText()).isEqualTo("onnx/model.onnx");
        ModelSpec spec = ModelSpec.read(model, Map.of());
        assertThat(spec.template()).isEqualTo("Instruct: {task}\nQuery: {text}");
        assertThat(spec.task()).isEqualTo(ModelSpec.DEFAULT_TASK);
        assertThat(spec.maxTokens()).isEqualTo(512);
        assertThat(spec.pooling()).isEqualTo(Pooling.MEAN);
        assertThat(spec.normalize()).isTrue();
    }

    @Test
    void largeFilesFollowTheRedirectWithoutTheToken() throws Exception {
        hub.requireToken("hf_test_token");

        try (HubClient client = new HubClient(hub.url(), "hf_test_token", FAST)) {
            ModelDownload.run(client, E5, "main", dir.resolve("e5"), ModelDownload.Format.ONNX, null);
        }

        List<FakeHub.Seen> storage = hub.requests().stream().filter(r -> r.path().startsWith("/cdn/")).toList();
        List<FakeHub.Seen> api = hub.requests().stream().filter(r -> !r.path().startsWith("/cdn/")).toList();
        assertThat(storage).hasSize(2);
        assertThat(storage).allSatisfy(r -> assertThat(r.authorization()).isNull());
        assertThat(api).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer hf_test_token"));
    }

    @Test
    void missingTokenForGatedModelNamesTheVariable() {
        hub.requireToken("hf_test_token");

        assertThatThrownBy(() -> download(E5, dir.resolve("e5"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("HTTP 401").hasMessageContaining("HF_TOKEN");
    }

    @Test
    void secondRunSkipsVerifiedFiles() throws Exception {
        Path model = dir.resolve("e5");
        download(E5, model, ModelDownload.Format.ONNX, FAST);
        hub.clearRequests();

        ModelDownload.Result again = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(again.present()).isEqualTo(5);
        assertThat(again.downloaded()).isZero();
        assertThat(hub.requests()).noneMatch(r -> r.path().contains("/resolve/") || r.path().startsWith("/cdn/"));
    }

    @Test
    void editedLocalFileIsDownloadedAgain() throws Exception {
        Path model = dir.resolve("e5");
        download(E5, model, ModelDownload.Format.ONNX, FAST);
        Files.writeString(model.resolve("config.json"), "{}");

        ModelDownload.Result again = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(again.downloaded()).isEqualTo(1);
        assertThat(model.resolve("config.json")).hasBinaryContent(files.get("config.json"));
    }

    @Test
    void droppedConnectionIsResumedByARerun() throws Exception {
        Path model = dir.resolve("e5");
        int dropAt = 10_000_000;
        hub.dropAfter("onnx/model.onnx", dropAt, 3);

        assertThatThrownBy(() -> download(E5, model, ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(RemoteException.class).hasMessageContaining("onnx/model.onnx").hasMessageContaining("3 times");
        Path part = model.resolve("onnx/model.onnx.part");
        assertThat(model.resolve("onnx/model.onnx")).doesNotExist();
        assertThat(Files.size(part)).isEqualTo(dropAt);
        hub.clearRequests();

        ModelDownload.Result rerun = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(rerun.resumed()).isEqualTo(1);
        assertThat(hub.requests()).anyMatch(r -> r.path().startsWith("/cdn/") && ("bytes=" + dropAt + "-").equals(r.range()));
        assertThat(model.resolve("onnx/model.onnx")).hasBinaryContent(files.get("onnx/model.onnx"));
        assertThat(part).doesNotExist();
    }

    @Test
    void droppedConnectionIsResumedWithinTheRun() throws Exception {
        Path model = dir.resolve("e5");
        hub.dropAfter("onnx/model.onnx", 5_000_000, 1);

        ModelDownload.Result result = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(result.downloaded()).isEqualTo(5);
        assertThat(hub.requests()).anyMatch(r -> "bytes=5000000-".equals(r.range()));
        assertThat(model.resolve("onnx/model.onnx")).hasBinaryContent(files.get("onnx/model.onnx"));
    }

    @Test
    void checksumMismatchLeavesNoFile() {
        Path model = dir.resolve("e5");
        hub.corrupt("onnx/model.onnx");

        assertThatThrownBy(() -> download(E5, model, ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("onnx/model.onnx").hasMessageContaining("SHA-256")
                .hasMessageContaining(FakeHub.sha256(files.get("onnx/model.onnx")));
        assertThat(model.resolve("onnx/model.onnx")).doesNotExist();
        assertThat(model.resolve("onnx/model.onnx.part")).doesNotExist();
        assertThat(model.resolve(ModelSpec.CONFIG_FILE)).doesNotExist();
    }

    @Test
    void smallFileIsCheckedAgainstItsGitId() {
        hub.corrupt("config.json");

        assertThatThrownBy(() -> download(E5, dir.resolve("e5"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("config.json").hasMessageContaining("Git SHA-1");
        assertThat(dir.resolve("e5/config.json")).doesNotExist();
    }

    @Test
    void missingOnnxExportNamesExportCommand() throws Exception {
        Map<String, byte[]> safetensorsOnly = new LinkedHashMap<>(files);
        safetensorsOnly.remove("onnx/model.onnx");
        hub.repo("deepvk/USER-bge-m3", safetensorsOnly);

        assertThatThrownBy(() -> download("deepvk/USER-bge-m3", dir.resolve("user"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class)
                .hasMessageContaining("no ONNX export")
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("optimum-cli export onnx --model deepvk/USER-bge-m3");
        assertThat(dir.resolve("user")).doesNotExist();
    }

    @Test
    void formatNoneFetchesTokenizerAndSettingsOnly() throws Exception {
        Map<String, byte[]> safetensorsOnly = new LinkedHashMap<>(files);
        safetensorsOnly.remove("onnx/model.onnx");
        hub.repo("deepvk/USER-bge-m3", safetensorsOnly);
        Path model = dir.resolve("user");

        download("deepvk/USER-bge-m3", model, ModelDownload.Format.NONE, FAST);

        assertThat(model.resolve("tokenizer.json")).exists();
        assertThat(model.resolve("model.safetensors")).doesNotExist();
        JsonNode written = Json.read(model.resolve(ModelSpec.CONFIG_FILE), JsonNode.class);
        assertThat(written.has("model_file")).isFalse();
        assertThat(written.path("pooling").asText()).isEqualTo("cls");
    }

    @Test
    void bgeM3GetsClsPoolingAndExplicitLimit() throws Exception {
        hub.repo("BAAI/bge-m3", FakeHub.bundledRepo(TestModels.bundled().dir(),
                "{\"model_type\":\"xlm-roberta\",\"max_position_embeddings\":8194,\"pad_token_id\":1}"));
        Path model = dir.resolve("bge-m3");

        download("BAAI/bge-m3", model, ModelDownload.Format.ONNX, FAST);

        JsonNode written = Json.read(model.resolve(ModelSpec.CONFIG_FILE), JsonNode.class);
        assertThat(written.path("max_tokens").asInt()).isEqualTo(8192);
        ModelSpec spec = ModelSpec.read(model, Map.of());
        assertThat(spec.pooling()).isEqualTo(Pooling.CLS);
        assertThat(spec.maxTokens()).isEqualTo(8192);
        assertThat(spec.template()).isEqualTo("{text}");
    }

    @Test
    void pagedListingIsReadToTheEnd() throws Exception {
        hub.pageSize(2);
        Path model = dir.resolve("e5");

        ModelDownload.Result result = download(E5, model, ModelDownload.Format.ONNX, FAST);

        assertThat(result.files()).isEqualTo(5);
        assertThat(hub.requests().stream().filter(r -> r.path().contains("/tree/")).count()).isGreaterThan(3);
    }

    @Test
    void pinnedCommitIsUsedForEveryFile() throws Exception {
        try (HubClient client = new HubClient(hub.url(), null, FAST)) {
            ModelDownload.run(client, E5, FakeHub.COMMIT, dir.resolve("e5"), ModelDownload.Format.ONNX, null);
        }

        assertThat(hub.requests()).filteredOn(r -> r.path().contains("/resolve/"))
                .allSatisfy(r -> assertThat(r.path()).contains("/resolve/" + FakeHub.COMMIT + "/"));
    }

    @Test
    void unknownRevisionIsNamed() {
        assertThatThrownBy(() -> {
            try (HubClient client = new HubClient(hub.url(), null, FAST)) {
                ModelDownload.run(client, E5, "v9.9", dir.resolve("e5"), ModelDownload.Format.ONNX, null);
            }
        }).isInstanceOf(UserException.class).hasMessageContaining("v9.9").hasMessageContaining("not found");
    }

    @Test
    void unknownRepositoryIsNamed() {
        assertThatThrownBy(() -> download("nobody/nothing", dir.resolve("x"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("nobody/nothing").hasMessageContaining("not found");
    }

    @Test
    void folderOfAnotherModelIsRejected() throws Exception {
        Path model = dir.resolve("e5");
        download(E5, model, ModelDownload.Format.ONNX, FAST);
        hub.repo("BAAI/bge-m3", files);

        assertThatThrownBy(() -> download("BAAI/bge-m3", model, ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining(E5).hasMessageContaining("--output");
    }

    @Test
    void externalDataNamedByTheModelIsFetched() throws Exception {
        Map<String, byte[]> split = new LinkedHashMap<>(files);
        split.put("onnx/model.onnx", onnxWithExternalData("model.onnx_data"));
        split.put("onnx/model.onnx_data", new byte[50_000]);
        split.put("onnx/unrelated.bin", new byte[50_000]);
        hub.repo("test-org/split-model", split);
        Path model = dir.resolve("split");

        download("test-org/split-model", model, ModelDownload.Format.ONNX, FAST);

        assertThat(model.resolve("onnx/model.onnx_data")).hasSize(50_000);
        assertThat(model.resolve("onnx/unrelated.bin")).doesNotExist();
    }

    @Test
    void missingExternalDataIsAnError() throws Exception {
        Map<String, byte[]> split = new LinkedHashMap<>(files);
        split.put("onnx/model.onnx", onnxWithExternalData("weights.bin"));
        hub.repo("test-org/broken-export", split);

        assertThatThrownBy(() -> download("test-org/broken-export", dir.resolve("b"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("onnx/weights.bin");
    }

    @Test
    void severalOnnxFilesNeedAChoice() {
        Map<String, byte[]> variants = new LinkedHashMap<>(files);
        variants.put("onnx/model_quantized.onnx", variants.remove("onnx/model.onnx"));
        variants.put("onnx/model_fp16.onnx", new byte[100]);
        hub.repo("test-org/variants", variants);

        assertThatThrownBy(() -> download("test-org/variants", dir.resolve("v"), ModelDownload.Format.ONNX, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("onnx/model_fp16.onnx, onnx/model_quantized.onnx")
                .hasMessageContaining("--weights-file");
    }

    @Test
    void chosenWeightsFileIsFetched() throws Exception {
        Map<String, byte[]> variants = new LinkedHashMap<>(files);
        variants.put("onnx/model_quantized.onnx", variants.remove("onnx/model.onnx"));
        hub.repo("test-org/variants", variants);
        Path model = dir.resolve("v");

        try (HubClient client = new HubClient(hub.url(), null, FAST)) {
            ModelDownload.run(client, "test-org/variants", "main", model, ModelDownload.Format.ONNX, "onnx/model_quantized.onnx");
        }

        assertThat(ModelSpec.read(model, Map.of()).modelFile()).isEqualTo("onnx/model_quantized.onnx");
    }

    @Test
    void torchScriptWithoutAFileIsExplained() {
        assertThatThrownBy(() -> download(E5, dir.resolve("e5"), ModelDownload.Format.TORCHSCRIPT, FAST))
                .isInstanceOf(UserException.class).hasMessageContaining("no TorchScript file");
    }

    @Test
    void pathsLeavingTheFolderAreRejected() {
        assertThatThrownBy(() -> ModelDownload.inside(dir, "../outside.json")).isInstanceOf(UserException.class);
        assertThat(ModelDownload.inside(dir, "onnx/model.onnx")).isEqualTo(dir.toAbsolutePath().resolve("onnx/model.onnx"));
    }

    @Test
    void endpointComesFromOptionThenVariable() {
        assertThat(HubClient.endpoint("http://mirror.test", Map.of("HF_ENDPOINT", "http://other.test")))
                .isEqualTo("http://mirror.test");
        assertThat(HubClient.endpoint(null, Map.of("HF_ENDPOINT", "http://other.test"))).isEqualTo("http://other.test");
        assertThat(HubClient.endpoint(null, Map.of())).isEqualTo("https://huggingface.co");
    }

    @Test
    void repositoryIdIsValidated() {
        assertThat(HubClient.requireRepoId("BAAI/bge-m3")).isEqualTo("BAAI/bge-m3");
        assertThatThrownBy(() -> HubClient.requireRepoId("BAAI/bge-m3/extra")).isInstanceOf(UserException.class);
        assertThatThrownBy(() -> HubClient.requireRepoId("../etc")).isInstanceOf(UserException.class);
    }

    @Test
    void contentRangeMustContinueThePartialFile() {
        assertThat(HubClient.continues("bytes 100-199/200", 100)).isTrue();
        assertThat(HubClient.continues("bytes 0-199/200", 100)).isFalse();
        assertThat(HubClient.continues(null, 100)).isFalse();
    }

    @Test
    void nextPageComesFromTheLinkHeader() {
        okhttp3.HttpUrl current = okhttp3.HttpUrl.get("https://hub.test/api/models/a/b/tree/main?recursive=true");

        assertThat(HubClient.nextPage("<https://hub.test/api/models/a/b/tree/main?recursive=true&cursor=xyz>; rel=\"next\"",
                current)).hasToString("https://hub.test/api/models/a/b/tree/main?recursive=true&cursor=xyz");
        assertThat(HubClient.nextPage(null, current)).isNull();
    }

    @Test
    void externalDataScanFindsEveryLocationOnce() throws Exception {
        Path onnx = dir.resolve("model.onnx");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(onnxWithExternalData("model.onnx_data"));
        bytes.write(onnxWithExternalData("model.onnx_data"));
        bytes.write(onnxWithExternalData("extra/part-2.bin"));
        Files.write(onnx, bytes.toByteArray());

        assertThat(OnnxExternalData.locations(onnx)).containsExactly("extra/part-2.bin", "model.onnx_data");
    }

    /** Bytes shaped like a TensorProto whose data lives in {@code location}: the entry key "location", then the name. */
    static byte[] onnxWithExternalData(String location) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x08, 0x01, 0x12, 0x03, 'a', 'b', 'c'});
        out.writeBytes(new byte[] {0x6A, (byte) (location.length() + 12)});
        out.writeBytes(new byte[] {0x0A, 0x08});
        out.writeBytes("location".getBytes(StandardCharsets.US_ASCII));
        out.write(0x12);
        out.write(location.length());
        out.writeBytes(location.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[] {0x6A, 0x0C, 0x0A, 0x06, 'o', 'f', 'f', 's', 'e', 't', 0x12, 0x01, '0'});
        return out.toByteArray();
    }

    private ModelDownload.Result download(String repo, Path target, ModelDownload.Format format, RetryPolicy policy) {
        try (HubClient client = new HubClient(hub.url(), null, policy)) {
            return ModelDownload.run(client, repo, "main", target, format, null);
        }
    }
}
