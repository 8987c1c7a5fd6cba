package chanemb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes (id, vector) rows for {@code COPY ... FROM STDIN} into a two-column table
 * {@code (id bigint, vector <type>)}, where the type is {@code float4[]} or pgvector's
 * {@code vector}.
 *
 * <p>Text format writes the literals PostgreSQL parses: {@code {0.6,0.8}} for an array and
 * {@code [0.6,0.8]} for a vector. Java's {@link Float#toString} output parses back to the same
 * float in both. Binary format writes what {@code array_recv} and pgvector's {@code vector_recv}
 * read. An array is 1 dimension, no nulls, element type float4 (OID 700), then a length and a
 * big-endian float per element. A vector is an int16 dimension, an int16 zero, then the floats.
 * Both formats are exact.
 */
public final class VectorCopy {
    /** Copy formats. */
    public enum Format {
        BINARY, TEXT;

        public static Format parse(String value) {
            for (Format format : values()) {
                if (format.name().equalsIgnoreCase(value)) {
                    return format;
                }
            }
            throw new UserException("upload.invalid-copy-format", value, "binary, text");
        }

        /** Returns the option list of a COPY statement. */
        public String copyOptions() {
            return this == BINARY ? "(FORMAT binary)" : "(FORMAT text)";
        }
    }

    private static final byte[] BINARY_SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final int FLOAT4_OID = 700;

    private final Format format;
    private final VectorType type;
    private final int dimension;
    private final StringBuilder text;

    public VectorCopy(Format format, VectorType type, int dimension) {
        this.format = format;
        this.type = type;
        this.dimension = dimension;
        this.text = new StringBuilder(format == Format.TEXT ? dimension * 16 + 32 : 0);
    }

    /** Maximum bytes one row takes, so callers can size their buffer. */
    public int maxRowBytes() {
        if (format == Format.TEXT) {
            // A float prints as at most 15 characters ("-1.17549435E-38"), plus a comma; ASCII only.
            return 20 + 1 + 2 + dimension * 16 + 1;
        }
        int vectorBytes = type == VectorType.ARRAY ? 20 + dimension * 8 : 4 + dimension * 4;
        return 2 + 4 + 8 + 4 + vectorBytes;
    }

    /** Writes what precedes the first row: the binary signature and header, nothing for text. */
    public void header(ByteBuffer out) {
        if (format == Format.BINARY) {
            out.put(BINARY_SIGNATURE);
            out.putInt(0); // flags
            out.putInt(0); // header extension length
        }
    }

    /** Writes what follows the last row. */
    public void trailer(ByteBuffer out) {
        if (format == Format.BINARY) {
            out.putShort((short) -1);
        }
    }

    /** Writes one row; {@code out} must have {@link #maxRowBytes()} bytes left. */
    public void row(ByteBuffer out, long id, float[] vector) {
        if (vector.length != dimension) {
            throw new IllegalArgumentException("Vector of " + vector.length + " values, expected " + dimension);
        }
        if (format == Format.BINARY) {
            binaryRow(out, id, vector);
        } else {
            textRow(out, id, vector);
        }
    }

    private void binaryRow(ByteBuffer out, long id, float[] vector) {
        out.putShort((short) 2);
        out.putInt(8);
        out.putLong(id);
        if (type == VectorType.ARRAY) {
            out.putInt(20 + vector.length * 8);
            out.putInt(1); // dimensions
            out.putInt(0); // has nulls
            out.putInt(FLOAT4_OID);
            out.putInt(vector.length);
            out.putInt(1); // lower bound
            for (float v : vector) {
                out.putInt(4);
                out.putFloat(v);
            }
        } else {
            out.putInt(4 + vector.length * 4);
            out.putShort((short) vector.length);
            out.putShort((short) 0);
            for (float v : vector) {
                out.putFloat(v);
            }
        }
    }

    private void textRow(ByteBuffer out, long id, float[] vector) {
        text.setLength(0);
        text.append(id).append('\t').append(literal(type, vector)).append('\n');
        for (int i = 0; i < text.length(); i++) {
            out.put((byte) text.charAt(i));
        }
    }

    /** Formats the text literal of a vector: {@code {0.6,0.8}} for float4[], {@code [0.6,0.8]} for vector. */
    public static String literal(VectorType type, float[] vector) {
        StringBuilder literal = new StringBuilder(vector.length * 12 + 2);
        literal.append(type == VectorType.ARRAY ? '{' : '[');
        for (int d = 0; d < vector.length; d++) {
            if (d > 0) {
                literal.append(',');
            }
            literal.append(vector[d]);
        }
        return literal.append(type == VectorType.ARRAY ? '}' : ']').toString();
    }

    /** Parses the text PostgreSQL prints for a float4[] or vector value. */
    public static float[] parse(String literal) {
        String body = literal.strip();
        char open = body.charAt(0);
        char close = body.charAt(body.length() - 1);
        if (!(open == '{' && close == '}') && !(open == '[' && close == ']')) {
            throw new IllegalArgumentException("Not an array or vector literal: " + abbreviate(literal));
        }
        body = body.substring(1, body.length() - 1).strip();
        if (body.isEmpty()) {
            return new float[0];
        }
        String[] parts = body.split(",", -1);
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Float.parseFloat(parts[i].strip());
        }
        return values;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
