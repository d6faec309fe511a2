package io.relaybus.tck;

/**
 * A test server or child JVM could not be started, reached, stopped or read. Thrown instead of
 * the checked {@code SQLException}/{@code IOException} underneath, which stays the cause.
 */
public final class TestInfrastructureException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the server, statement or process
   */
  public TestInfrastructureException(String message) {
    super(message);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the server, statement or process
   * @param cause the underlying failure
   */
  public TestInfrastructureException(String message, Throwable cause) {
    super(message, cause);
  }
}
