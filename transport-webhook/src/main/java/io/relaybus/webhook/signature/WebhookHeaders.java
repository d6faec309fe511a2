package io.relaybus.webhook.signature;

/**
 * HTTP header names used by Relaybus webhooks, all lower case (HTTP header names are
 * case-insensitive; HTTP/2 sends them lower case).
 *
 * <p>{@link #ID}, {@link #TIMESTAMP} and {@link #SIGNATURE} are the Standard Webhooks headers.
 * {@link #ATTEMPT} and {@link #TOPIC} are Relaybus extensions: receivers that do not know them
 * ignore them, and they are not covered by the signature.
 */
public final class WebhookHeaders {

  /**
   * {@code webhook-id}: the message id, identical on every retry of one delivery; receivers use
   * it as the idempotency key.
   */
  public static final String ID = "webhook-id";

  /** {@code webhook-timestamp}: the attempt's time in whole seconds since the Unix epoch. */
  public static final String TIMESTAMP = "webhook-timestamp";

  /**
   * {@code webhook-signature}: space-separated signatures such as {@code v1,<base64>}, one per
   * signing secret during key rotation.
   */
  public static final String SIGNATURE = "webhook-signature";

  /**
   * {@code webhook-attempt} (Relaybus extension): the delivery attempt number, 1 for the first
   * attempt. Informational, not signed.
   */
  public static final String ATTEMPT = "webhook-attempt";

  /**
   * {@code webhook-topic} (Relaybus extension): the Relaybus topic, sent in CloudEvents binary
   * mode (the default JSON payload carries the topic in its signed body instead).
   */
  public static final String TOPIC = "webhook-topic";

  private WebhookHeaders() {}
}
