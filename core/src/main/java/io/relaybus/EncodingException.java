package io.relaybus;

/** Thrown when a value cannot be encoded into event data; nothing is published. */
public class EncodingException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the value's type and the codec
   * @param cause the codec's failure
   */
  public EncodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
