package chanemb;

import java.util.Locale;

/** SQL types a vector column can have. */
public enum VectorType {
    /** {@code float4[]} (also spelled {@code real[]}): needs no extension; the dimension is not part of the type. */
    ARRAY,
    /** pgvector's {@code vector(d)}: needs the extension; the dimension is part of the type. */
    VECTOR;

    /** Returns the SQL type of a column of {@code dimension} values. */
    public String sql(int dimension) {
        return this == ARRAY ? "float4[]" : "vector(" + dimension + ")";
    }

    /** Returns the name users write in settings: float4[] or vector. */
    public String label() {
        return this == ARRAY ? "float4[]" : "vector";
    }

    /**
     * Parses the setting {@code target.column-type}: {@code float4[]} (or {@code real[]}),
     * {@code vector}, or {@code auto}, which returns null and means "the existing column's type,
     * else vector when pgvector is available, else float4[]".
     */
    public static VectorType parseSetting(String value) {
        String normalized = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "float4[]", "real[]" -> ARRAY;
            case "vector" -> VECTOR;
            case "auto" -> null;
            default -> throw new UserException("upload.invalid-column-type", value, "float4[], vector, auto");
        };
    }
}
