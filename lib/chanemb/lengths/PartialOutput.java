package chanemb.lengths;

import chanemb.Dataset;
import chanemb.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An output folder that a rerun with the same parameters reuses: whole when its manifest has
 * them, or continued from the part files a killed run left. The parameters of a run are written
 * to {@value #PARAMS} before its first part, so parts of another configuration are never mixed in.
 */
final class PartialOutput {
    static final String PARAMS = "_params.json";

    /** What a folder holds for a run with given parameters. */
    enum State {
        /** Complete, with these parameters: nothing to do. */
        COMPLETE,
        /** Parts of a killed run with these parameters: continue after them. */
        PARTIAL,
        /** Nothing usable: the folder was emptied. */
        EMPTY
    }

    private PartialOutput() {
    }

    /** Checks {@code dir} against {@code params}; clears it unless it is complete or partial with them. */
    static State prepare(Path dir, Map<String, Object> params) {
        JsonNode wanted = Json.MAPPER.valueToTree(params);
        if (Dataset.isComplete(dir)) {
            Dataset.Manifest manifest = Dataset.require(dir, "analyze_lengths");
            if (wanted.equals(Json.MAPPER.valueToTree(manifest.params()))) {
                return State.COMPLETE;
            }
        }
        Path paramsFile = dir.resolve(PARAMS);
        if (!Dataset.isComplete(dir) && Files.isRegularFile(paramsFile) && !Dataset.parts(dir).isEmpty()
                && wanted.equals(Json.read(paramsFile, JsonNode.class))) {
            return State.PARTIAL;
        }
        Dataset.clear(dir);
        try {
            Files.deleteIfExists(paramsFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Json.writeAtomically(paramsFile, params);
        return State.EMPTY;
    }
}
