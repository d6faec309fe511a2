package io.relaybus.bench;

/** A measurement could not complete: a publish failed or a bounded wait ran out. */
public final class BenchmarkException extends RuntimeException {

  /**
   * Creates the exception.
   *
   * @param message what failed, with the counts reached
   */
  public BenchmarkException(String message) {
    super(message);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed
   * @param cause the underlying failure
   */
  public BenchmarkException(String message, Throwable cause) {
    super(message, cause);
  }
}
