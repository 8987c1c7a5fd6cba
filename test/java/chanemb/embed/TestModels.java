package chanemb.embed;

import java.nio.file.Path;
import java.util.Map;

/** The bundled offline model, installed once per test JVM under target/. */
public final class TestModels {
    private static ModelSpec bundled;

    private TestModels() {
    }

    public static synchronized ModelSpec bundled() {
        if (bundled == null) {
            chanemb.Cli.prepareProcess(false, true);
            Path dir = BundledModel.install(Path.of("target/test-models"));
            bundled = ModelSpec.read(dir, Map.of());
        }
        return bundled;
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
