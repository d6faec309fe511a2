package io.relaybus.webhook.payload;

import io.relaybus.RelaybusException;

/**
 * Thrown when a webhook request cannot be turned back into an event: malformed JSON, a missing
 * or invalid attribute, an unknown encoding. The message names the field or header; it never
 * contains the body.
 */
public final class PayloadException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, naming the field or header
   */
  public PayloadException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what is wrong, naming the field or header
   * @param cause the underlying failure
   */
  public PayloadException(String message, Throwable cause) {
    super(message, cause);
  }
}
