package io.relaybus.webhook.payload;

import java.util.Map;
import java.util.Objects;

/**
 * An event encoded for one webhook request: the message id, the body and the content headers.
 * The sender adds the per-attempt headers ({@code webhook-timestamp}, {@code
 * webhook-signature}, {@code webhook-attempt}) itself, because they change on every retry
 * while this object does not.
 *
 * <p>Immutable; {@link #body()} returns the internal array for speed: do not modify it.
 */
public final class WebhookPayload {

  private final String webhookId;
  private final String contentType;
  private final Map<String, String> headers;
  private final byte[] body;

  WebhookPayload(String webhookId, String contentType, Map<String, String> headers,
      byte[] body) {
    this.webhookId = webhookId;
    this.contentType = contentType;
    this.headers = Map.copyOf(headers);
    this.body = body;
  }

  /**
   * The {@code webhook-id}, derived from topic, source and event id, so it is the same on every
   * retry and every re-encoding of the delivery.
   *
   * @return the id: {@code msg_} followed by 27 base64url characters
   */
  public String webhookId() {
    return webhookId;
  }

  /**
   * The value of the {@code Content-Type} header, or {@code null} when the request must be sent
   * without one (CloudEvents binary mode for an event without a data content type).
   *
   * @return the content type, possibly {@code null}
   */
  public String contentType() {
    return contentType;
  }

  /**
   * Headers to send besides {@code Content-Type} and the Standard Webhooks headers: the
   * {@code ce-*} attributes and {@code webhook-topic} in CloudEvents binary mode; in both modes
   * the event's W3C {@code traceparent} and {@code tracestate}, when it has them.
   *
   * @return an immutable map of lower-case header names to values (ASCII only)
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * The request body; sign and send exactly these bytes.
   *
   * @return the body (not a copy)
   */
  public byte[] body() {
    return body;
  }

  /**
   * Describes the payload without its body.
   *
   * @return id, content type and size
   */
  @Override
  public String toString() {
    return "WebhookPayload{id=" + webhookId + ", contentType=" + contentType + ", body="
        + body.length + " bytes}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookPayload && webhookId.equals(((WebhookPayload) o).webhookId)
        && Objects.equals(contentType, ((WebhookPayload) o).contentType)
        && headers.equals(((WebhookPayload) o).headers)
        && java.util.Arrays.equals(body, ((WebhookPayload) o).body);
  }

  @Override
  public int hashCode() {
    return webhookId.hashCode();
  }
}
