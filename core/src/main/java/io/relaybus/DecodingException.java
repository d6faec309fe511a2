package io.relaybus;

/**
 * Thrown when event data cannot be decoded into the requested type. Decoding the same bytes
 * again cannot succeed, so a handler failing with this exception is never retried: the event
 * goes to the dead letters with reason {@link DeadLetterReason#UNDECODABLE}.
 */
public class DecodingException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the event, the content type and the target type
   * @param cause the codec's failure, or {@code null}
   */
  public DecodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
