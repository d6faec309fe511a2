package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.PayloadMode;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * Builds delivery requests: the payload in the route's format ({@link WebhookPayloads}), the
 * Standard Webhooks headers signed with the route's secret ({@link WebhookSigner}; a new
 * {@code webhook-timestamp} and signature per attempt, the same {@code webhook-id} on every
 * attempt), {@code webhook-attempt}, and the endpoint's own headers. Consumer groups always get
 * the Standard Webhooks JSON form (lossless, every attribute signed), and their
 * {@code webhook-attempt} is the handler attempt number.
 */
public final class HttpDeliveryRequests implements DeliveryRequests {

  private static final MediaType OCTETS = MediaType.get("application/octet-stream");
  /** Bounds the parse caches: URLs of group members come and go. */
  private static final int MAX_CACHED = 1024;

  private final Map<String, WebhookSigner> signers = new ConcurrentHashMap<>();
  /**
   * Parsed target URLs by their text: every request of a route goes to the same few URLs, so
   * each is parsed once instead of per request. A changed endpoint has a new URL text, so a
   * stale entry is never used for it.
   */
  private final Map<String, HttpUrl> urls = new ConcurrentHashMap<>();
  /** Parsed content types by their text (few: the JSON form's, and events' own types). */
  private final Map<String, MediaType> types = new ConcurrentHashMap<>();

  @Override
  public Request build(Route route, OutboxDelivery delivery, String url) {
    PayloadFormat format = route.payloadMode() == PayloadMode.CLOUDEVENTS_BINARY
        ? PayloadFormat.CLOUDEVENTS_BINARY : PayloadFormat.STANDARD_WEBHOOKS;
    WebhookPayload payload = WebhookPayloads.encode(format, delivery.topic(), delivery.event());
    Request.Builder b = new Request.Builder().url(parsedUrl(url));
    if (!route.isGroup()) {
      route.endpoint().headers().forEach(b::header);
    }
    payload.headers().forEach(b::header);
    String secret = route.signingSecret();
    if (secret != null) {
      WebhookSigner signer = signers.computeIfAbsent(secret, s -> WebhookSigner.of(
          WebhookEndpoint.secretParts(s).stream().map(WebhookSecret::parse).toList()));
      signer.headers(payload.webhookId(), Instant.now(), payload.body()).forEach(b::header);
    } else {
      b.header(WebhookHeaders.ID, payload.webhookId());
      b.header(WebhookHeaders.TIMESTAMP, Long.toString(Instant.now().getEpochSecond()));
    }
    int attempt = route.isGroup() ? delivery.handlerAttempt() : delivery.attempts() + 1;
    b.header(WebhookHeaders.ATTEMPT, Integer.toString(attempt));
    if (route.isGroup()) {
      b.header(GROUP_HEADER, route.group());
    }
    return b.post(RequestBody.create(payload.body(), mediaType(payload.contentType()))).build();
  }

  private HttpUrl parsedUrl(String url) {
    HttpUrl parsed = urls.get(url);
    if (parsed == null) {
      parsed = HttpUrl.get(url); // IllegalArgumentException naming the URL, as url(String) did
      if (urls.size() >= MAX_CACHED) {
        urls.clear();
      }
      urls.put(url, parsed);
    }
    return parsed;
  }

  private MediaType mediaType(String contentType) {
    if (contentType == null) {
      return OCTETS;
    }
    MediaType type = types.get(contentType);
    if (type == null) {
      MediaType parsed = MediaType.parse(contentType);
      type = parsed == null ? OCTETS : parsed;
      if (types.size() >= MAX_CACHED) {
        types.clear();
      }
      types.put(contentType, type);
    }
    return type;
  }
}
