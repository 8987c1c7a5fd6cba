package chanemb.embed;

import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Run in a separate JVM by {@link OfflineTest}: loads the bundled model and embeds a text the
 * way the scripts do. With the argument "control" it also opens an outside URL, to prove that
 * the test's listener sees outgoing connections.
 */
public final class NetworkProbe {
    public static void main(String[] args) throws Exception {
        chanemb.Cli.prepareProcess(false, true);
        if (args.length > 1 && args[1].equals("control")) {
            try {
                new URL("http://chanemb-control.invalid/").openConnection().connect();
            } catch (Exception expected) {
                // The listener accepts and closes; only the attempt matters.
            }
        }
        ModelSpec spec = ModelSpec.read(BundledModel.install(Path.of(args[0])), Map.of());
        try (Encoder encoder = Encoder.load(spec)) {
            float[] vector = encoder.embedTexts(List.of("проверка сети"), 8192).vectors()[0];
            System.out.println("dimension=" + vector.length);
        }
    }
}
