package chanemb;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** Parses the dates users type on the command line. */
public final class Dates {
    private Dates() {
    }

    /**
     * Parses "2024-11-01" (midnight UTC), "2024-11-01T10:00:00Z" or "2024-11-01T13:00:00+03:00"
     * into an instant; {@code option} names the option in the error message.
     */
    public static Instant parseInstant(String value, String option) {
        if (value == null) {
            return null;
        }
        String text = value.trim();
        try {
            if (text.length() == 10) {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new UserException("dates.invalid", value, option);
        }
    }
}
