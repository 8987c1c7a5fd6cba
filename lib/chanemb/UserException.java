package chanemb;

/**
 * A failure the user can fix: bad input, configuration or environment. Its message is already
 * localized and names the bad value and the fix; the command line prints it without a stack trace.
 */
public class UserException extends RuntimeException {
    public UserException(String key, Object... args) {
        super(Messages.get(key, args));
    }

    public UserException(Throwable cause, String key, Object... args) {
        super(Messages.get(key, args), cause);
    }
}
