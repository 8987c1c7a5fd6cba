package chanemb.embed;

/**
 * An embedding server failed in a way a rerun may fix: it stayed unreachable or overloaded past
 * the retry budget, or it sent a response that is not a valid embedding. The message is localized.
 */
public final class RemoteException extends RuntimeException {
    public RemoteException(String message) {
        super(message);
    }

    public RemoteException(String message, Throwable cause) {
        super(message, cause);
    }
}
