package io.relaybus.webhook.dispatch;

import io.relaybus.Event;
import io.relaybus.webhook.PayloadMode;
import io.relaybus.webhook.outbox.EventAttributes;
import io.relaybus.webhook.outbox.OutboxDelivery;
import io.relaybus.webhook.outbox.Route;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * Builds delivery requests: the payload in the route's mode, the Standard Webhooks headers
 * ({@code webhook-id} = the event id, the same on every attempt; {@code webhook-timestamp};
 * {@code webhook-signature} when the route has a secret), the endpoint's own headers and, for
 * groups, the attempt number.
 */
public final class HttpDeliveryRequests implements DeliveryRequests {

  /** Request header of the {@link PayloadMode#RELAYBUS} mode: base64url of the attributes. */
  public static final String EVENT_HEADER = "relaybus-event";

  private static final MediaType OCTETS = MediaType.get("application/octet-stream");

  @Override
  public Request build(Route route, OutboxDelivery delivery, String url) {
    Event e = delivery.event();
    long timestamp = System.currentTimeMillis() / 1000;
    byte[] body;
    Request.Builder b = new Request.Builder().url(url);
    MediaType type;
    if (route.payloadMode() == PayloadMode.RELAYBUS) {
      body = e.data();
      type = OCTETS;
      b.header(EVENT_HEADER, Base64.getUrlEncoder().withoutPadding()
          .encodeToString(EventAttributes.encode(e).getBytes(StandardCharsets.UTF_8)));
      b.header(ATTEMPT_HEADER, Integer.toString(delivery.handlerAttempt()));
      b.header(TOPIC_HEADER, delivery.topic());
      b.header(GROUP_HEADER, route.group());
    } else {
      // Interim layout until the payload package lands: the raw data.
      body = e.data();
      type = e.dataContentType().map(MediaType::parse).orElse(OCTETS);
    }
    b.header("webhook-id", e.id());
    b.header("webhook-timestamp", Long.toString(timestamp));
    if (!route.isGroup()) {
      route.endpoint().headers().forEach(b::header);
    }
    return b.post(RequestBody.create(body, type)).build();
  }
}
