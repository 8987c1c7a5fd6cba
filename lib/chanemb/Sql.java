package chanemb;

import java.util.regex.Pattern;

/**
 * Validated SQL identifiers. Table and column names come from configuration, so each one is
 * checked against a strict pattern and then double-quoted; no other string is ever spliced
 * into SQL.
 */
public final class Sql {
    /** PostgreSQL truncates identifiers longer than 63 bytes; we reject them instead. */
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private Sql() {
    }

    /** A schema-qualified table name. */
    public record Table(String schema, String name) {
        public String sql() {
            return quote(schema) + "." + quote(name);
        }

        @Override
        public String toString() {
            return schema + "." + name;
        }
    }

    /** Parses "schema.table" (or "table", meaning schema public) from the setting {@code key}. */
    public static Table table(String value, String key) {
        String[] parts = value.split("\\.", -1);
        if (parts.length == 1) {
            return new Table("public", identifier(parts[0], value, key));
        }
        if (parts.length != 2) {
            throw new UserException("sql.invalid-table", value, key);
        }
        return new Table(identifier(parts[0], value, key), identifier(parts[1], value, key));
    }

    /** Validates a column or schema name from the setting {@code key} and returns it. */
    public static String identifier(String name, String key) {
        return identifier(name, name, key);
    }

    private static String identifier(String part, String whole, String key) {
        if (part == null || !IDENTIFIER.matcher(part).matches()) {
            throw new UserException("sql.invalid-identifier", whole, key);
        }
        return part;
    }

    /** Double-quotes a validated identifier. */
    public static String quote(String identifier) {
        if (!IDENTIFIER.matcher(identifier).matches()) {
            throw new IllegalArgumentException("Not a validated identifier: " + identifier);
        }
        return '"' + identifier + '"';
    }

    /** Escapes a constant for an E'' string literal; used only where a statement takes no parameters (COPY). */
    public static String escapedLiteral(String value) {
        return "E'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
