package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.payload.WebhookPayloads;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.signature.WebhookVerifier;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration keys of the webhook transport: endpoints from config, and errors naming keys. */
class WebhookConfigTest {

  private static Map<String, String> base() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("relaybus.transport", "webhook");
    c.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    c.put("relaybus.webhook.poll-interval", "50ms");
    return c;
  }

  @Test
  void everyBadValueIsReportedWithItsKey() {
    Map<String, String> c = base();
    c.put("relaybus.webhook.outbox", "redis");
    c.put("relaybus.webhook.retry.schedule", "0s,5s,soon");
    c.put("relaybus.webhook.retry.jitter", "2");
    c.put("relaybus.webhook.breaker.threshold", "-1");
    c.put("relaybus.webhook.endpoints.orders.url", "ftp://example.com/x");
    c.put("relaybus.webhook.endpoints.orders.topics", "orders");
    c.put("relaybus.webhook.endpoints.orders.secret", "not-a-secret");
    c.put("relaybus.webhook.endpoints.orders.rate-limit", "fast");
    c.put("relaybus.webhook.endpoints.billing.url", "https://billing.example.com/hook");
    c.put("relaybus.webhook.endpoints.bad%name.url", "https://x.example.com/hook");
    c.put("relaybus.webhook.endpoints.bad%name.topics", "t");
    c.put("relaybus.webhook.colour", "blue");
    c.put("relaybus.webhook.jdbc.packs", "sometimes");
    c.put("relaybus.webhook.jdbc.publish-writers", "0");
    assertThatThrownBy(() -> EventBus.create(c)).isInstanceOfSatisfying(
        ConfigurationException.class, e -> {
          String all = String.join("\n", e.problems());
          assertThat(all).contains("relaybus.webhook.outbox='redis'")
              .contains("relaybus.webhook.retry.schedule").contains("soon")
              .contains("relaybus.webhook.retry.jitter")
              .contains("relaybus.webhook.breaker.threshold")
              .contains("relaybus.webhook.endpoints.orders.url")
              .contains("relaybus.webhook.endpoints.orders.secret")
              .contains("relaybus.webhook.endpoints.orders.rate-limit")
              .contains("relaybus.webhook.endpoints.billing.topics is required")
              .contains("bad%name")
              .contains("relaybus.webhook.colour")
              .contains("relaybus.webhook.jdbc.packs")
              .contains("relaybus.webhook.jdbc.publish-writers");
          assertThat(all).doesNotContain("not-a-secret");
        });
  }

  @Test
  void jdbcOutboxNeedsAUrl() {
    Map<String, String> c = base();
    c.put("relaybus.webhook.outbox", "jdbc");
    assertThatThrownBy(() -> EventBus.create(c)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.webhook.jdbc.url is required");
  }

  @Test
  void privateEndpointInConfigIsRefusedNamingTheKey() {
    Map<String, String> c = base();
    c.remove("relaybus.webhook.ssrf.allow-categories");
    c.put("relaybus.webhook.endpoints.metadata.url", "http://169.254.169.254/latest");
    c.put("relaybus.webhook.endpoints.metadata.topics", "t");
    assertThatThrownBy(() -> EventBus.create(c)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.webhook.endpoints.metadata.url is refused")
        .hasMessageContaining("169.254.169.254");
  }

  @Test
  void endpointFromConfigurationReceivesSignedCloudEvents() {
    WebhookSecret secret = WebhookSecret.generate();
    try (ScriptedReceiver r = ScriptedReceiver.start()) {
      Map<String, String> c = base();
      c.put("relaybus.webhook.endpoints.audit.url", r.url("/audit"));
      c.put("relaybus.webhook.endpoints.audit.topics", "orders, invoices");
      c.put("relaybus.webhook.endpoints.audit.secret", secret.format());
      c.put("relaybus.webhook.endpoints.audit.payload-mode", "cloudevents-binary");
      c.put("relaybus.webhook.endpoints.audit.headers.Authorization", "Bearer abc");
      try (EventBus bus = EventBus.create(c)) {
        EndpointStatus status = bus.unwrap(WebhookTransport.class).endpoints().get("audit")
            .orElseThrow();
        assertThat(status.endpoint().topics()).containsExactly("orders", "invoices");
        assertThat(status.endpoint().toString()).doesNotContain(secret.format())
            .doesNotContain("Bearer abc");
        Event e = Event.builder().source("/shop").type("order.created").key("c-1")
            .json(Map.of("id", 7)).build();
        bus.publish("orders", e).join();
        bus.publish("unrelated", Event.builder().source("/x").type("x").text("no").build())
            .join();
        await().atMost(Duration.ofSeconds(20)).until(() -> r.accepted().size() == 1);
        ScriptedReceiver.Request q = r.accepted().get(0);
        assertThat(q.headers()).containsEntry("ce-specversion", "1.0")
            .containsEntry("ce-type", "order.created").containsEntry("authorization", "Bearer abc");
        assertThat(q.event()).isEqualTo(e);
        assertThat(q.webhookId()).isEqualTo(WebhookPayloads.webhookId("orders", e));
        WebhookVerifier.builder().secret(secret).build().verify(q.webhookId(),
            q.headers().get("webhook-timestamp"), q.headers().get("webhook-signature"),
            q.body());
      }
    }
  }

  @Test
  void endpointApiAddsListsDisablesAndRemoves() {
    try (ScriptedReceiver r = ScriptedReceiver.start(); EventBus bus = EventBus.create(base())) {
      WebhookEndpoints api = bus.unwrap(WebhookTransport.class).endpoints();
      api.add(WebhookEndpoint.builder("a").url(r.url("/a")).topics("t").build());
      api.add(WebhookEndpoint.builder("b").url(r.url("/b")).topics("*").build());
      assertThat(api.list()).extracting(s -> s.endpoint().name()).containsExactly("a", "b");
      api.disable("a");
      bus.publish("t", Event.builder().source("/x").type("x").text("1").build()).join();
      // Wait for the first accepted request, then count: a second one (a duplicate or a stray
      // request) fails here naming what arrived, instead of as a timeout of "== 1".
      await().atMost(Duration.ofSeconds(20)).until(() -> !r.accepted().isEmpty());
      assertThat(r.accepted()).as("requests received: %s; attempts of b: %s", r.requests(),
          api.attempts("b", 10)).hasSize(1);
      assertThat(r.accepted().get(0).path()).isEqualTo("/b");
      EndpointStatus a = api.get("a").orElseThrow();
      assertThat(a.state()).isEqualTo(EndpointState.DISABLED);
      assertThat(a.pending()).isEqualTo(1);
      assertThat(api.remove("a")).isTrue();
      assertThat(api.remove("a")).isFalse();
      assertThat(api.list()).extracting(s -> s.endpoint().name()).containsExactly("b");
      assertThatThrownBy(() -> api.enable("a")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'a'");
      assertThat(api.attempts("b", 10)).hasSize(1);
      assertThat(bus.capabilities().has(io.relaybus.Capability.PERSISTENT))
          .as("the memory outbox is not durable").isFalse();
      assertThat(bus.unwrap(WebhookTransport.class).isDurable()).isFalse();
    }
  }
}
