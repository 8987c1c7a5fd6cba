package chanemb.lengths;

import chanemb.Dataset;
import chanemb.report.Outputs;
import java.nio.file.Path;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * The outputs of analyze_lengths as Tablesaw tables, loaded with one call, for JShell:
 *
 * <pre>{@code
 * var lengths = Lengths.load(Path.of("data/lengths"));
 * Table windows = lengths.windows();
 * windows.where(windows.intColumn("llm_tokens").isGreaterThan(8192)).rowCount() / (double) windows.rowCount();
 * lengths.limits();
 * }</pre>
 *
 * @param posts         one row per previous post with text: {@code chars}, {@code words}, {@code llm_tokens},
 *                      and {@code tokens__<model>} per embedding model
 * @param windows       one row per ad post: the window, the request and the long and summary inputs;
 *                      windows without text have {@code posts} 0 and missing lengths
 * @param channels      one row per channel with a title or description: the profile input
 * @param distributions count, mean, standard deviation, minimum, percentiles and maximum of every measure
 * @param limits        how many inputs are over each token limit that matters for them
 * @param budget        the whole summarize job: calls, tokens, hours and months at the configured limits
 */
public record Lengths(Table posts, Table windows, Table channels, Table distributions, Table limits, Table budget) {

    /** Reads every table of an analyze_lengths output folder (default {@code data/lengths}). */
    public static Lengths load(Path dir) {
        for (String output : new String[] {"posts", "windows", "channels"}) {
            Dataset.require(dir.resolve(output), LengthAnalysis.STEP);
        }
        return new Lengths(table(dir, "posts"), table(dir, "windows"), table(dir, "channels"), csv(dir, "distributions"),
                csv(dir, "limits"), csv(dir, "budget"));
    }

    private static Table table(Path dir, String name) {
        Path output = dir.resolve(name);
        return Dataset.parts(output).isEmpty() ? Table.create(name) : Outputs.table(output).setName(name);
    }

    /** Reads a report table with the types it was written with, whatever values it holds. */
    private static Table csv(Path dir, String name) {
        CsvReadOptions options = CsvReadOptions.builder(dir.resolve(name + ".csv").toFile())
                .columnTypes(Lengths::columnType).build();
        return Table.read().usingOptions(options).setName(name);
    }

    private static ColumnType columnType(String column) {
        return switch (column) {
            case "input", "measure", "tokenizer", "limit of", "item", "unit" -> ColumnType.STRING;
            case "count", "limit", "inputs", "over limit" -> ColumnType.LONG;
            default -> ColumnType.DOUBLE;
        };
    }
}
