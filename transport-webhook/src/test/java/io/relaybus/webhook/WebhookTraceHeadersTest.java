package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.payload.DecodedWebhook;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayload;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookHeaders;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * An event's W3C trace context travels as the HTTP {@code traceparent} and {@code tracestate}
 * headers of the webhook request, which HTTP tools and tracing agents read, and a request that
 * carries only the HTTP headers hands them to the event.
 */
class WebhookTraceHeadersTest {
  private static final String TRACEPARENT =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String OTHER_TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @ParameterizedTest
  @EnumSource(PayloadMode.class)
  void aLoopbackReceiverSeesTraceparentOnTheRequest(PayloadMode mode) {
    try (ScriptedReceiver r = ScriptedReceiver.start()) {
      Map<String, String> c = new LinkedHashMap<>();
      c.put("relaybus.transport", "webhook");
      c.put("relaybus.webhook.ssrf.allow-categories", "loopback");
      c.put("relaybus.webhook.poll-interval", "50ms");
      try (EventBus bus = EventBus.create(c)) {
        bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("traced")
            .url(r.url("/traced")).topics("traced").payloadMode(mode).build());
        bus.publish("traced", Event.builder().source("/t").type("t")
            .header("traceparent", TRACEPARENT).header("tracestate", "vendor=1").build()).join();
        bus.publish("traced", Event.builder().source("/t").type("untraced").build()).join();
        await().atMost(Duration.ofSeconds(30)).until(() -> r.accepted().size() == 2);
      }
      ScriptedReceiver.Request traced = r.accepted().stream()
          .filter(q -> q.event().type().equals("t")).findFirst().orElseThrow();
      assertThat(traced.headers()).containsEntry("traceparent", TRACEPARENT)
          .containsEntry("tracestate", "vendor=1");
      assertThat(traced.event().headers()).containsEntry("traceparent", TRACEPARENT);
      ScriptedReceiver.Request untraced = r.accepted().stream()
          .filter(q -> q.event().type().equals("untraced")).findFirst().orElseThrow();
      assertThat(untraced.headers()).doesNotContainKeys("traceparent", "tracestate");
    }
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void theEventsOwnContextWinsOverTheHttpHeader(PayloadFormat format) {
    Event event = Event.builder().source("/t").type("t").header("traceparent", TRACEPARENT)
        .build();
    Map<String, List<String>> headers = request(WebhookPayloads.encode(format, "t", event));
    headers.put("traceparent", List.of(OTHER_TRACEPARENT)); // an HTTP client's own span
    assertThat(WebhookPayloads.decode(headers, body(format, event)).event()).isEqualTo(event);
  }

  @ParameterizedTest
  @EnumSource(PayloadFormat.class)
  void anHttpTraceparentReachesAnEventWithoutOneAndAMalformedOneIsIgnored(
      PayloadFormat format) {
    Event event = Event.builder().source("/t").type("t").build();
    WebhookPayload payload = WebhookPayloads.encode(format, "t", event);
    Map<String, List<String>> headers = request(payload);
    headers.put("Traceparent", List.of(OTHER_TRACEPARENT));
    headers.put("tracestate", List.of("vendor=2"));
    DecodedWebhook decoded = WebhookPayloads.decode(headers, payload.body());
    assertThat(decoded.event().headers()).containsExactlyInAnyOrderEntriesOf(
        Map.of("traceparent", OTHER_TRACEPARENT, "tracestate", "vendor=2"));

    headers.put("Traceparent", List.of("garbage"));
    assertThat(WebhookPayloads.decode(headers, payload.body()).event()).isEqualTo(event);
  }

  @Test
  void standardWebhooksRequestsOfEventsWithoutTraceContextHaveNoExtraHeaders() {
    WebhookPayload payload = WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, "t",
        Event.builder().source("/t").type("t").header("tenant", "acme").build());
    assertThat(payload.headers()).isEmpty();
  }

  private static Map<String, List<String>> request(WebhookPayload payload) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    payload.headers().forEach((k, v) -> headers.put(k, List.of(v)));
    if (payload.contentType() != null) {
      headers.put("Content-Type", List.of(payload.contentType()));
    }
    headers.put(WebhookHeaders.ID, List.of(payload.webhookId()));
    return headers;
  }

  private static byte[] body(PayloadFormat format, Event event) {
    return WebhookPayloads.encode(format, "t", event).body();
  }
}
