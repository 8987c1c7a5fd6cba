package chanemb.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the external data files an ONNX model refers to. Models over 2 GB keep their weights in
 * separate files (for example {@code model.onnx_data}) that ONNX Runtime looks for next to the
 * model, under the names the model records.
 *
 * <p>Each tensor stored outside records a {@code StringStringEntryProto} with key "location"
 * and the file name as value. Serialized, that entry is the bytes 0x0A 0x08 "location" 0x12,
 * a varint length and the name, which this scan looks for without a protobuf library.
 */
final class OnnxExternalData {
    private static final byte[] MARKER = {0x0A, 0x08, 'l', 'o', 'c', 'a', 't', 'i', 'o', 'n', 0x12};
    private static final int MAX_NAME_BYTES = 4096;

    private OnnxExternalData() {
    }

    /** Returns the file names, relative to the model's folder, that {@code model} stores tensors in. */
    static Set<String> locations(Path model) throws IOException {
        Set<String> names = new TreeSet<>();
        try (InputStream stream = Files.newInputStream(model)) {
            ByteReader in = new ByteReader(stream);
            int matched = 0;
            int b;
            while ((b = in.read()) >= 0) {
                if (b == (MARKER[matched] & 0xFF)) {
                    matched++;
                } else {
                    // The first marker byte occurs nowhere else in the marker, so a failed match restarts here.
                    matched = b == MARKER[0] ? 1 : 0;
                }
                if (matched == MARKER.length) {
                    matched = 0;
                    String name = readName(in);
                    if (name != null) {
                        names.add(name);
                    }
                }
            }
        }
        return names;
    }

    /** Reads a varint length and that many bytes of UTF-8; null when they do not form a plausible relative path. */
    private static String readName(ByteReader in) throws IOException {
        int length = 0;
        for (int shift = 0; shift < 21; shift += 7) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (length <= 0 || length > MAX_NAME_BYTES) {
            return null;
        }
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            bytes[i] = (byte) b;
        }
        String name = new String(bytes, StandardCharsets.UTF_8);
        boolean plausible = !name.startsWith("/") && !name.contains("..") && !name.contains("\\")
                && name.chars().noneMatch(c -> c < 0x20 || c == 0xFFFD);
        return plausible ? name : null;
    }

    /**
     * Byte-at-a-time reads over a large buffer without the lock that BufferedInputStream.read()
     * takes on every call, because the scan reads every byte of models up to several GB.
     */
    private static final class ByteReader {
        private final InputStream in;
        private final byte[] buffer = new byte[1 << 20];
        private int position;
        private int limit;

        ByteReader(InputStream in) {
            this.in = in;
        }

        int read() throws IOException {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return -1;
                }
            }
            return buffer[position++] & 0xFF;
        }
    }
}
