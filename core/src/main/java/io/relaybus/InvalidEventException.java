package io.relaybus;

/**
 * Thrown by {@link Event.Builder#build()} when an attribute is missing or malformed; the
 * message names the attribute.
 */
public class InvalidEventException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the attribute and what is allowed
   */
  public InvalidEventException(String message) {
    super(message);
  }
}
