package chanemb;

import java.io.IOException;
import java.io.Writer;

/** Writes values in PostgreSQL's COPY text format: tab-separated, backslash escapes, \N for NULL. */
public final class PgCopy {
    private final Writer out;
    private boolean firstInRow = true;

    public PgCopy(Writer out) {
        this.out = out;
    }

    public PgCopy value(Object value) throws IOException {
        separator();
        if (value == null) {
            out.write("\\N");
        } else {
            escape(value.toString());
        }
        return this;
    }

    public void endRow() throws IOException {
        out.write('\n');
        firstInRow = true;
    }

    private void separator() throws IOException {
        if (!firstInRow) {
            out.write('\t');
        }
        firstInRow = false;
    }

    private void escape(String text) throws IOException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.write("\\\\");
                case '\t' -> out.write("\\t");
                case '\n' -> out.write("\\n");
                case '\r' -> out.write("\\r");
                default -> out.write(c);
            }
        }
    }
}
