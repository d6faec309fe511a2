package io.relaybus.test;

/**
 * A test server could not be started, found or reached; the message says which and what to
 * install or set.
 */
public final class TestServerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception with a message only.
   *
   * @param message what failed and what to do
   */
  public TestServerException(String message) {
    super(message);
  }

  /**
   * An exception with its cause.
   *
   * @param message what failed and what to do
   * @param cause the underlying failure
   */
  public TestServerException(String message, Throwable cause) {
    super(message, cause);
  }
}
