package chanemb.llm;

import chanemb.Json;
import chanemb.Log;
import chanemb.UserException;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * The summaries JSONL file: records appended one line each as results arrive, and read back on
 * resume.
 *
 * <p>Each batch of lines goes to the file in one write call with no buffering in the JVM, so a
 * killed process leaves every finished record on disk and at most one partial last line. On
 * resume that partial line (no final newline) is cut off and its ad post is done again; a
 * malformed complete line is an error naming its line number, because it means the file was
 * edited or damaged, and guessing would lose or duplicate work.
 */
public final class SummaryLog {
    private SummaryLog() {
    }

    /**
     * Cuts a partial last line off the file. Returns the number of bytes removed (0 when the file
     * ends with a newline, is empty or does not exist).
     */
    public static long repairTail(Path file) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            long keep = lastNewlineEnd(channel, size);
            if (keep < size) {
                channel.truncate(keep);
                channel.force(true);
                Log.warn("summarize.partial-line", file, size - keep);
            }
            return size - keep;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot repair " + file, e);
        }
    }

    /** Position just after the last newline, scanning back from the end in blocks. */
    private static long lastNewlineEnd(FileChannel channel, long size) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(1 << 16);
        long end = size;
        while (end > 0) {
            long start = Math.max(0, end - block.capacity());
            block.clear().limit((int) (end - start));
            channel.read(block, start);
            for (int i = (int) (end - start) - 1; i >= 0; i--) {
                if (block.get(i) == '\n') {
                    return start + i + 1;
                }
            }
            end = start;
        }
        return 0;
    }

    /**
     * Reads every complete line. A line without a final newline at the very end is skipped (call
     * {@link #repairTail} first to remove it); blank lines are skipped.
     */
    public static long read(Path file, Consumer<SummaryRecord> consumer) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        long records = 0;
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long offset = 0;
            long lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
                if (offset > size) {
                    break; // the partial last line
                }
                if (line.isBlank()) {
                    continue;
                }
                SummaryRecord record;
                try {
                    record = Json.LINE.readValue(line, SummaryRecord.class);
                } catch (JsonProcessingException e) {
                    throw new UserException("summarize.malformed-line", file, lineNumber, e.getOriginalMessage());
                }
                if (record.status() == null || record.adPostId() == 0) {
                    throw new UserException("summarize.malformed-line", file, lineNumber, "no ad_post_id or status");
                }
                consumer.accept(record);
                records++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
        return records;
    }

    /** Appends records to the file; safe to call from several threads. */
    public static final class Appender implements AutoCloseable {
        private final FileChannel channel;

        public Appender(Path file) {
            try {
                Path parent = file.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot open " + file, e);
            }
        }

        /** Writes the records as complete lines, all in one write call. */
        public synchronized void append(List<SummaryRecord> records) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024 * records.size());
            try {
                for (SummaryRecord record : records) {
                    bytes.write(Json.LINE.writeValueAsBytes(record));
                    bytes.write('\n');
                }
                ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot append to the summaries file", e);
            }
        }

        @Override
        public synchronized void close() {
            try {
                channel.force(true);
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
