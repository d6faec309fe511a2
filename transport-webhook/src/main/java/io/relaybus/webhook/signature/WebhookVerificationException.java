package io.relaybus.webhook.signature;

import io.relaybus.RelaybusException;
import java.util.Objects;

/**
 * Thrown when a webhook request fails verification. {@link #reason()} says why, so a receiver
 * can map it to an HTTP status; the message names the header and never contains a secret or
 * the body.
 */
public final class WebhookVerificationException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /** Why verification failed. */
  public enum Reason {
    /** A required header ({@code webhook-id}, {@code -timestamp}, {@code -signature}) is absent. */
    MISSING_HEADER,
    /** A header is present but not in the form the spec requires. */
    MALFORMED_HEADER,
    /** The timestamp is older than the tolerance allows (possible replay). */
    TIMESTAMP_TOO_OLD,
    /** The timestamp is further in the future than the tolerance allows. */
    TIMESTAMP_TOO_NEW,
    /** No {@code v1} signature in the header matches any configured secret. */
    NO_MATCHING_SIGNATURE
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason why verification failed
   * @param message what failed, naming the header
   */
  public WebhookVerificationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Why verification failed.
   *
   * @return the reason, never {@code null}
   */
  public Reason reason() {
    return reason;
  }
}
