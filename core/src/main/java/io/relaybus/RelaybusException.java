package io.relaybus;

/**
 * Base of every exception Relaybus throws. Unchecked; subclasses name the offending topic,
 * group, key or value in their message.
 */
public class RelaybusException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what went wrong, naming the offending value
   */
  public RelaybusException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what went wrong, naming the offending value
   * @param cause the underlying failure
   */
  public RelaybusException(String message, Throwable cause) {
    super(message, cause);
  }
}
