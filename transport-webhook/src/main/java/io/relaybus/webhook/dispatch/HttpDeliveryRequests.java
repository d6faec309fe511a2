package io.relaybus.webhook.dispatch;

import io.relaybus.webhook.PayloadMode;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.outbox.OutboxDelivery;
import io.relaybus.webhook.outbox.Route;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookSigner;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

  private final Map<String, WebhookSigner> signers = new ConcurrentHashMap<>();

  @Override
  public Request build(Route route, OutboxDelivery delivery, String url) {
    PayloadFormat format = route.payloadMode() == PayloadMode.CLOUDEVENTS_BINARY
        ? PayloadFormat.CLOUDEVENTS_BINARY : PayloadFormat.STANDARD_WEBHOOKS;
    WebhookPayload payload = WebhookPayloads.encode(format, delivery.topic(), delivery.event());
    Request.Builder b = new Request.Builder().url(url);
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
    MediaType type = payload.contentType() == null ? OCTETS : MediaType.parse(
        payload.contentType());
    return b.post(RequestBody.create(payload.body(), type == null ? OCTETS : type)).build();
  }
}
