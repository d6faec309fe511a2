package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.SubscribeOptions;
import io.relaybus.webhook.payload.PayloadFormat;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.receiver.EmbeddedWebhookServer;
import io.relaybus.webhook.receiver.ReceivedWebhook;
import io.relaybus.webhook.receiver.WebhookReceiver;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code relaybus.webhook.max-event-size} (2 MiB): what a publisher may send, a subscribing
 * bus's member and an endpoint's {@link WebhookReceiver} with its default limit accept.
 */
class WebhookEventSizeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final long LIMIT = 2L << 20;

  private static EventBus bus(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>(WebhookTestConfig.TCK);
    config.put("relaybus.webhook.outbox", "memory");
    config.putAll(overrides);
    return EventBus.create(config);
  }

  /** An event of {@code size} whose data is {@code fill} repeated. */
  private static Event eventOfSize(String id, String contentType, long size, byte fill) {
    Event bare = Event.builder().id(id).source("/sizes").type("size.test")
        .dataContentType(contentType).build();
    byte[] data = new byte[Math.toIntExact(size - bare.size())];
    Arrays.fill(data, fill);
    return bare.toBuilder().data(data).build();
  }

  @Test
  @DisplayName("a member receives an event of the limit whose body is six times larger (text "
      + "of control characters); one byte more is refused at publish and never delivered")
  void memberAcceptsTheWidestBodyOfAnEventAtTheLimit() {
    try (EventBus bus = bus(Map.of())) {
      assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(LIMIT));
      Map<String, Event> received = new ConcurrentHashMap<>();
      bus.subscribe("sizes", SubscribeOptions.group("g"),
          d -> received.put(d.event().id(), d.event()));
      // Valid UTF-8 text: written as a JSON string, each U+0001 as the six characters \u0001.
      Event atLimit = eventOfSize("at-limit", "text/plain; charset=utf-8", LIMIT, (byte) 1);
      assertThat(WebhookPayloads.encode(PayloadFormat.STANDARD_WEBHOOKS, "sizes", atLimit)
          .body().length).as("body bytes").isGreaterThan((int) (6 * (LIMIT - 100)));

      bus.publish("sizes", atLimit).join();
      assertThatThrownBy(() -> bus.publish("sizes",
          eventOfSize("over-max", "text/plain; charset=utf-8", LIMIT + 1, (byte) 1)))
          .isInstanceOf(EventTooLargeException.class)
          .hasMessageContaining("event over-max is 2097153 bytes, larger than the 2097152 bytes "
              + "(2.0 MiB) the webhook transport accepts per event")
          .hasMessageContaining("Raise relaybus.webhook.max-event-size");
      bus.publish("sizes", eventOfSize("marker", null, 100, (byte) 'x')).join();

      await().atMost(PATIENCE).until(() -> received.containsKey("at-limit")
          && received.containsKey("marker"));
      assertThat(received.get("at-limit")).isEqualTo(atLimit);
      assertThat(received).containsOnlyKeys("at-limit", "marker");
    }
  }

  @Test
  @DisplayName("an endpoint's WebhookReceiver with its default 4 MiB limit accepts a binary "
      + "event of the default maximum (base64 in the body)")
  void endpointReceiverWithDefaultLimitAcceptsTheDefaultMaximum() {
    WebhookSecret secret = WebhookSecret.generate();
    List<ReceivedWebhook> handled = new CopyOnWriteArrayList<>();
    try (EmbeddedWebhookServer server = EmbeddedWebhookServer.builder().port(0)
        .route("/hook", WebhookReceiver.builder()
            .verifier(WebhookVerifier.builder().secret(secret).build())
            .handler(handled::add).build()).start();
        EventBus bus = bus(Map.of("relaybus.webhook.ssrf.allow-categories", "loopback"))) {
      bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("hook")
          .url(server.uri("/hook")).secret(secret.format()).topics("sizes").build());
      Event bare = Event.builder().id("binary").source("/sizes").type("size.test")
          .dataContentType("application/octet-stream").header("tenant", "ačme").build();
      byte[] data = new byte[Math.toIntExact(LIMIT - bare.size())];
      ThreadLocalRandom.current().nextBytes(data);
      Event atLimit = bare.toBuilder().data(data).build();
      assertThat(atLimit.size()).isEqualTo(LIMIT);

      bus.publish("sizes", atLimit).join();

      await().atMost(PATIENCE).until(() -> !handled.isEmpty());
      assertThat(handled.get(0).event().data()).isEqualTo(data);
      assertThat(handled.get(0).event()).isEqualTo(atLimit);
    }
  }

  @Test
  @DisplayName("max-event-size above 64 MiB is a configuration problem naming the key and range")
  void aLimitAbove64MibIsRefused() {
    assertThatThrownBy(() -> bus(Map.of("relaybus.webhook.max-event-size", "65MiB")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.webhook.max-event-size='65MiB' is invalid: expected a "
            + "size from 1 KiB to 64 MiB");
  }
}
