package io.relaybus;

/**
 * Thrown when a bus cannot reach the server its transport needs: the database, the broker or
 * the schema registry. The first line of the message says what failed (authentication for a
 * user, a database that does not exist, a host that is unknown, a refused connection at
 * host:port, a TLS failure or a timeout) and names the server; {@link #getCause()} is the
 * driver's or client's own exception.
 *
 * <p>{@link #isTransient()} tells whether waiting could help: a refused connection or a timeout
 * may pass once the server is up, while wrong credentials, a missing database, an unknown host
 * or a TLS misconfiguration will not.
 */
public class TransportUnavailableException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  private final boolean transientFailure;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the server and the setting to check
   * @param transientFailure whether the same attempt could succeed later without a change of
   *     configuration
   * @param cause the driver's or client's exception
   */
  public TransportUnavailableException(String message, boolean transientFailure,
      Throwable cause) {
    super(message, cause);
    this.transientFailure = transientFailure;
  }

  /**
   * Whether the failure may pass by itself (connection refused, timeout), as opposed to one
   * that needs a change of configuration or of the server (authentication, missing database,
   * unknown host, TLS).
   *
   * @return {@code true} for a refused connection or a timeout
   */
  public boolean isTransient() {
    return transientFailure;
  }
}
