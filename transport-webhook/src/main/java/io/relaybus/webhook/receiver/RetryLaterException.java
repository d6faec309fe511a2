package io.relaybus.webhook.receiver;

import io.relaybus.RelaybusException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Thrown by a {@link WebhookHandler} to refuse a webhook for now and tell the sender when to
 * retry: the receiver answers {@code 503 Service Unavailable} with {@code Retry-After} in whole
 * seconds (rounded up), which the Relaybus sender honours.
 */
public class RetryLaterException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  private final Duration retryAfter;
  private final Map<String, String> headers;

  /**
   * Creates the exception.
   *
   * @param retryAfter how long the sender should wait, not negative
   * @param message why, for the receiver's log (not sent to the sender)
   */
  public RetryLaterException(Duration retryAfter, String message) {
    this(retryAfter, message, Map.of());
  }

  /**
   * Creates the exception with more headers for the {@code 503} response, for senders that
   * read them (a Relaybus group member tells its sender this way that it gives a delivery
   * back).
   *
   * @param retryAfter how long the sender should wait, not negative
   * @param message why, for the receiver's log (not sent to the sender)
   * @param headers response headers besides {@code Retry-After}, which is set from {@code
   *     retryAfter}
   */
  public RetryLaterException(Duration retryAfter, String message, Map<String, String> headers) {
    super(message);
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, got " + retryAfter);
    }
    this.retryAfter = retryAfter;
    this.headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
  }

  /**
   * Creates the exception with a cause.
   *
   * @param retryAfter how long the sender should wait, not negative
   * @param message why, for the receiver's log (not sent to the sender)
   * @param cause the failure behind it
   */
  public RetryLaterException(Duration retryAfter, String message, Throwable cause) {
    this(retryAfter, message);
    initCause(cause);
  }

  /**
   * How long the sender should wait before retrying.
   *
   * @return the delay
   */
  public Duration retryAfter() {
    return retryAfter;
  }

  /**
   * The headers of the {@code 503} response: those given, and {@code Retry-After}.
   *
   * @return an immutable map
   */
  public Map<String, String> responseHeaders() {
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put("Retry-After", retryAfterHeader());
    return Map.copyOf(all);
  }

  /**
   * The {@code Retry-After} header value: whole seconds, rounded up.
   *
   * @return the seconds as text
   */
  public String retryAfterHeader() {
    long seconds = retryAfter.getSeconds() + (retryAfter.getNano() > 0 ? 1 : 0);
    return Long.toString(seconds);
  }
}
