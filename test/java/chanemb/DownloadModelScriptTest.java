package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import chanemb.embed.TestModels;
import chanemb.hub.FakeHub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** download_model as a command-line program, against a fake hub that serves the bundled model. */
class DownloadModelScriptTest {
    private static final String REPO = "test-org/e5-small-fake";

    @TempDir
    Path dir;

    @Test
    void downloadedModelLoadsAndEmbeds() throws Exception {
        String config = "{\"model_type\":\"bert\",\"max_position_embeddings\":512,\"hidden_size\":384}";
        try (FakeHub hub = FakeHub.start().repo(REPO, FakeHub.bundledRepo(TestModels.bundled().dir(), config))) {
            hub.requireToken("hf_secret_for_test");
            Path model = dir.resolve("model");

            ScriptRunner.Run run = ScriptRunner.jbang(Map.of("HF_TOKEN", "hf_secret_for_test"), "download_model", REPO,
                    "--endpoint", hub.url(), "--output", model.toString(), "--check");
            ScriptRunner.Run again = ScriptRunner.jbang(Map.of("HF_TOKEN", "hf_secret_for_test", "HF_ENDPOINT", hub.url()),
                    "download_model", REPO, "--output", model.toString());

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.stdout().strip()).isEqualTo(model.toString());
            assertThat(run.stderr()).contains("Check passed").contains("384 dimensions")
                    .contains("5 files, 5 downloaded, 0 resumed, 0 already present")
                    .doesNotContain("hf_secret_for_test");
            assertThat(Files.readString(model.resolve("chanemb-model.json"))).contains(FakeHub.COMMIT)
                    .doesNotContain("hf_secret_for_test");
            assertThat(again.exitCode()).as(again.toString()).isZero();
            assertThat(again.stderr()).contains("5 files, 0 downloaded, 0 resumed, 5 already present");
        }
    }

    @Test
    void missingOnnxExportExitsWithTwo() throws Exception {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>(FakeHub.bundledRepo(TestModels.bundled().dir(), "{}"));
        files.remove("onnx/model.onnx");
        try (FakeHub hub = FakeHub.start().repo("deepvk/USER-bge-m3", files)) {
            ScriptRunner.Run run = ScriptRunner.jbang(Map.of(), "download_model", "deepvk/USER-bge-m3",
                    "--endpoint", hub.url(), "--output", dir.resolve("user").toString());

            assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
            assertThat(run.stdout()).isEmpty();
            assertThat(run.stderr()).contains("has no ONNX export").contains("optimum-cli export onnx")
                    .doesNotContain("Exception");
        }
    }
}
