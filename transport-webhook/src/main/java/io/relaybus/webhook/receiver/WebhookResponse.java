package io.relaybus.webhook.receiver;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to answer the sender: status, headers and a short plain-text body. Frameworks copy it
 * into their own response type. Immutable.
 */
public final class WebhookResponse {

  private final int status;
  private final Map<String, String> headers;
  private final byte[] body;

  private WebhookResponse(int status, Map<String, String> headers, String body) {
    this.status = status;
    this.headers = Map.copyOf(headers);
    this.body = body.getBytes(StandardCharsets.UTF_8);
  }

  static WebhookResponse of(int status, String body) {
    return of(status, body, Map.of());
  }

  static WebhookResponse of(int status, String body, Map<String, String> extraHeaders) {
    Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
    if (!body.isEmpty()) {
      headers.put("Content-Type", "text/plain; charset=utf-8");
    }
    return new WebhookResponse(status, headers, body);
  }

  /**
   * The HTTP status code.
   *
   * @return the status
   */
  public int status() {
    return status;
  }

  /**
   * Response headers to set, such as {@code Retry-After}, {@code Allow} or {@code Content-Type}.
   *
   * @return an immutable map
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * The response body: a short explanation, never a secret or the request body; empty for
   * {@code 204}.
   *
   * @return a copy of the body bytes (UTF-8)
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body as text.
   *
   * @return the body
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Whether the status is 2xx, which the sender counts as delivered.
   *
   * @return whether successful
   */
  public boolean isSuccess() {
    return status >= 200 && status < 300;
  }

  @Override
  public String toString() {
    return "WebhookResponse{" + status + " " + bodyText() + ", headers=" + headers + "}";
  }
}
