package chanemb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.IntSupplier;

/**
 * The table and column that receive one embed output's vectors, and the checks that run before
 * anything is written.
 *
 * <p>{@link #check} only reads the catalog and at most one stored value, so a pipeline can call it
 * before it spends time on a model or an LLM: it fails when the column exists with another type or
 * dimension, when the table has no unique key on {@code id}, or when pgvector is required but
 * missing. {@link #prepare} runs the same check and then creates what is missing.
 *
 * @param table         target table, e.g. embeddings.summary_channel_emb
 * @param column        validated column name
 * @param requestedType the type to use, or null for "auto": the existing column's type, else
 *                      vector when pgvector is installed or available on the server, else float4[]
 */
public record UploadTarget(Sql.Table table, String column, VectorType requestedType) {

    public UploadTarget {
        Sql.identifier(column, "--column");
    }

    /**
     * Returns the name of the column beside the vector column with the id of the run that wrote
     * each value: {@code <column>_run}, shortened with a hash to PostgreSQL's 63 characters.
     */
    public String runColumn() {
        String name = column + "_run";
        if (name.length() <= 63) {
            return name;
        }
        return column.substring(0, 50) + "_" + Dataset.sha256(column).substring(0, 8) + "_run";
    }

    /** Builds the target from the settings target.table, target.column and target.column-type. */
    public static UploadTarget fromConfig(Config config, String defaultColumn) {
        Sql.Table table = Sql.table(config.get("target.table"), "target.table");
        String column = config.find("target.column").orElse(defaultColumn);
        return new UploadTarget(table, Sql.identifier(column, "target.column"),
                VectorType.parseSetting(config.get("target.column-type")));
    }

    /** Catalog facts about the target: table, unique id, column type, run column, pgvector. */
    record State(boolean tableExists, boolean idIsUnique, String columnSqlType, String columnTypeName,
                 int columnTypeModifier, boolean runColumnExists, boolean pgvectorInstalled,
                 boolean pgvectorAvailable) {

        boolean columnExists() {
            return columnSqlType != null;
        }
    }

    /**
     * Checks the target against vectors of {@code dimension} values without writing anything, and
     * returns the column type the upload will use.
     */
    public VectorType check(Database db, int dimension) {
        return check(db, () -> dimension);
    }

    /**
     * Like {@link #check(Database, int)}, but calls {@code dimension} only when an existing column
     * has to be compared with it. A pipeline passes a supplier that loads the model, so a first
     * run into a new column does not load it twice.
     */
    public VectorType check(Database db, IntSupplier dimension) {
        try (Connection connection = db.connect()) {
            return check(connection, dimension);
        } catch (SQLException e) {
            throw new UserException(e, "upload.check-failed", table, e.getMessage());
        }
    }

    VectorType check(Connection connection, IntSupplier dimension) throws SQLException {
        return resolve(connection, inspect(connection), dimension);
    }

    private VectorType resolve(Connection connection, State state, IntSupplier dimension) throws SQLException {
        if (state.tableExists() && !state.idIsUnique()) {
            throw new UserException("upload.no-id-key", table);
        }
        if (!state.columnExists()) {
            VectorType type = requestedType != null ? requestedType
                    : state.pgvectorInstalled() || state.pgvectorAvailable() ? VectorType.VECTOR : VectorType.ARRAY;
            if (type == VectorType.VECTOR && !state.pgvectorInstalled() && !state.pgvectorAvailable()) {
                throw new UserException("upload.pgvector-missing", table, column);
            }
            return type;
        }
        VectorType existing = switch (state.columnTypeName()) {
            case "_float4" -> VectorType.ARRAY;
            case "vector" -> VectorType.VECTOR;
            default -> throw new UserException("upload.unsupported-column-type", table, column, state.columnSqlType());
        };
        if (requestedType != null && requestedType != existing) {
            throw new UserException("upload.column-type-mismatch", table, column, state.columnSqlType(),
                    requestedType.label());
        }
        int stored = existing == VectorType.VECTOR && state.columnTypeModifier() > 0
                ? state.columnTypeModifier() : storedDimension(connection, existing);
        if (stored > 0) {
            int expected = dimension.getAsInt();
            if (stored != expected) {
                throw new UserException("upload.dimension-mismatch", table, column, stored, expected);
            }
        }
        return existing;
    }

    /**
     * Checks the target, then creates what is missing: the pgvector extension, the schema, the
     * table (id bigint primary key, the vector column NOT NULL) or, in an existing table, the
     * column (nullable, because rows of other columns have no value in it). Runs in the caller's
     * transaction.
     */
    VectorType prepare(Connection connection, int dimension) throws SQLException {
        State state = inspect(connection);
        VectorType type = resolve(connection, state, () -> dimension);
        try (Statement statement = connection.createStatement()) {
            if (type == VectorType.VECTOR && !state.pgvectorInstalled()) {
                createPgvector(connection);
            }
            if (!state.tableExists()) {
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + Sql.quote(table.schema()));
                statement.execute("CREATE TABLE " + table.sql() + " (id bigint PRIMARY KEY, " + Sql.quote(column) + " "
                        + type.sql(dimension) + " NOT NULL)");
            } else if (!state.columnExists()) {
                statement.execute("ALTER TABLE " + table.sql() + " ADD COLUMN " + Sql.quote(column) + " "
                        + type.sql(dimension));
            }
            if (!state.columnExists()) {
                // Float vectors do not compress: store large values out of line without trying.
                statement.execute("ALTER TABLE " + table.sql() + " ALTER COLUMN " + Sql.quote(column)
                        + " SET STORAGE EXTERNAL");
            }
            if (!state.runColumnExists()) {
                statement.execute("ALTER TABLE " + table.sql() + " ADD COLUMN " + Sql.quote(runColumn()) + " uuid");
            }
        }
        return type;
    }

    /** Takes a lock that lets readers in but keeps other uploads out until the transaction ends. */
    void lock(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("LOCK TABLE " + table.sql() + " IN SHARE ROW EXCLUSIVE MODE");
        }
    }

    private void createPgvector(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE EXTENSION IF NOT EXISTS vector");
        } catch (SQLException e) {
            throw new UserException(e, "upload.pgvector-create-failed", e.getMessage());
        }
    }

    State inspect(Connection connection) throws SQLException {
        boolean tableExists;
        boolean idIsUnique = false;
        String sqlType = null;
        String typeName = null;
        int typeModifier = -1;
        boolean runColumnExists = false;
        try (PreparedStatement query = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            query.setString(1, table.sql());
            try (ResultSet rs = query.executeQuery()) {
                rs.next();
                tableExists = rs.getBoolean(1);
            }
        }

        if (tableExists) {
            // A single-column unique index (the primary key or another) on id, which ON CONFLICT (id) needs.
            try (PreparedStatement query = connection.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_index i"
                    + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                    + " WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indnkeyatts = 1"
                    + " AND i.indpred IS NULL AND a.attname = 'id')")) {
                query.setString(1, table.sql());
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    idIsUnique = rs.getBoolean(1);
                }
            }

            // The vector column's type and whether its run column exists.
            try (PreparedStatement query = connection.prepareStatement("SELECT a.attname, format_type(a.atttypid,"
                    + " a.atttypmod), t.typname, a.atttypmod FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                    + " WHERE a.attrelid = to_regclass(?) AND a.attname IN (?, ?) AND a.attnum > 0"
                    + " AND NOT a.attisdropped")) {
                query.setString(1, table.sql());
                query.setString(2, column);
                query.setString(3, runColumn());
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(1).equals(column)) {
                            sqlType = rs.getString(2);
                            typeName = rs.getString(3);
                            typeModifier = rs.getInt(4);
                        } else {
                            runColumnExists = true;
                        }
                    }
                }
            }
        }

        boolean installed;
        boolean available;
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT"
                     + " EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector'),"
                     + " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')")) {
            rs.next();
            installed = rs.getBoolean(1);
            available = rs.getBoolean(2);
        }
        return new State(tableExists, idIsUnique, sqlType, typeName, typeModifier, runColumnExists, installed,
                available);
    }

    /** Returns the length of one stored value, or 0 when the column contains none. */
    private int storedDimension(Connection connection, VectorType type) throws SQLException {
        String length = type == VectorType.ARRAY ? "array_length(" + Sql.quote(column) + ", 1)"
                : "vector_dims(" + Sql.quote(column) + ")";
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT " + length + " FROM " + table.sql() + " WHERE "
                     + Sql.quote(column) + " IS NOT NULL LIMIT 1")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    @Override
    public String toString() {
        return table + "." + column;
    }
}
