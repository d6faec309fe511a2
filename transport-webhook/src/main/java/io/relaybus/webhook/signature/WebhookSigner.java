package io.relaybus.webhook.signature;

import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Signs webhook messages the Standard Webhooks way: {@code v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">}, one signature per secret, space-separated. During key rotation sign
 * with the new and the old secret so receivers holding either accept the message.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * WebhookSigner signer = WebhookSigner.of(newSecret, oldSecret);
 * Map<String, String> headers = signer.headers(webhookId, Instant.now(), body);
 * }</pre>
 */
public final class WebhookSigner {

  private final List<WebhookSecret> secrets;

  private WebhookSigner(List<WebhookSecret> secrets) {
    this.secrets = secrets;
  }

  /**
   * Creates a signer that signs with every given secret, in order.
   *
   * @param secrets at least one secret
   * @return the signer
   * @throws IllegalArgumentException when no secret is given
   */
  public static WebhookSigner of(WebhookSecret... secrets) {
    return of(List.of(secrets));
  }

  /**
   * Creates a signer that signs with every given secret, in order.
   *
   * @param secrets at least one secret, no {@code null}s
   * @return the signer
   * @throws IllegalArgumentException when the list is empty
   */
  public static WebhookSigner of(List<WebhookSecret> secrets) {
    List<WebhookSecret> copy = List.copyOf(secrets);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("A webhook signer needs at least one secret");
    }
    return new WebhookSigner(copy);
  }

  /**
   * Computes the {@code webhook-signature} header value.
   *
   * @param webhookId the message id (1-256 visible ASCII characters, no {@code .})
   * @param timestampSeconds the attempt time in seconds since the epoch, not negative
   * @param body the exact request body bytes that will be sent
   * @return one {@code v1,<base64>} signature per secret, space-separated
   * @throws IllegalArgumentException when the id or the timestamp is invalid
   */
  public String sign(String webhookId, long timestampSeconds, byte[] body) {
    Objects.requireNonNull(webhookId, "webhookId");
    Objects.requireNonNull(body, "body");
    String problem = Hmac.idProblem(webhookId);
    if (problem != null) {
      throw new IllegalArgumentException("Invalid webhook id: it " + problem);
    }
    if (timestampSeconds < 0) {
      throw new IllegalArgumentException("Webhook timestamp must not be negative, got "
          + timestampSeconds);
    }
    StringBuilder header = new StringBuilder(secrets.size() * 48);
    for (WebhookSecret secret : secrets) {
      if (header.length() > 0) {
        header.append(' ');
      }
      header.append("v1,").append(Base64.getEncoder().encodeToString(
          Hmac.compute(secret, webhookId, timestampSeconds, body)));
    }
    return header.toString();
  }

  /**
   * Computes the three Standard Webhooks headers for one attempt: {@code webhook-id},
   * {@code webhook-timestamp} (the attempt time, truncated to seconds) and
   * {@code webhook-signature}.
   *
   * @param webhookId the message id, the same on every retry
   * @param attemptTime when this attempt is sent
   * @param body the exact request body bytes that will be sent
   * @return the headers, in that order
   * @throws IllegalArgumentException when the id is invalid or the time is before the epoch
   */
  public Map<String, String> headers(String webhookId, Instant attemptTime, byte[] body) {
    Objects.requireNonNull(attemptTime, "attemptTime");
    long seconds = attemptTime.getEpochSecond();
    Map<String, String> headers = new LinkedHashMap<>(4);
    headers.put(WebhookHeaders.ID, webhookId);
    headers.put(WebhookHeaders.TIMESTAMP, Long.toString(seconds));
    headers.put(WebhookHeaders.SIGNATURE, sign(webhookId, seconds, body));
    return headers;
  }

  /**
   * Describes the signer without revealing its secrets.
   *
   * @return the number of secrets
   */
  @Override
  public String toString() {
    return "WebhookSigner[" + secrets.size() + " secret(s)]";
  }
}
