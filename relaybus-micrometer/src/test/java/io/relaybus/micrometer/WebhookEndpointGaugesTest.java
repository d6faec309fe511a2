package io.relaybus.micrometer;

import static io.relaybus.micrometer.RelaybusOperationsMetrics.BREAKER_STATE;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.ENDPOINT;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.ENDPOINT_BREAKER;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.ENDPOINT_ENABLED;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.ENDPOINT_PENDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookEndpoints;
import io.relaybus.webhook.WebhookTransport;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Webhook endpoint gauges on the real webhook transport, delivering to a loopback receiver. */
class WebhookEndpointGaugesTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  /** The status the receiver answers with. */
  private final AtomicInteger status = new AtomicInteger(500);
  private final HttpServer receiver = startReceiver();
  private final EventBus bus = EventBus.create(Map.of(
      "relaybus.transport", "webhook",
      "relaybus.webhook.outbox", "memory",
      "relaybus.webhook.retry.schedule", "0s,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms",
      "relaybus.webhook.retry.jitter", "0",
      "relaybus.webhook.poll-interval", "50ms",
      "relaybus.webhook.breaker.threshold", "3",
      "relaybus.webhook.breaker.open-duration", "30s",
      "relaybus.webhook.ssrf.allow-categories", "loopback"));
  private final RelaybusOperationsMetrics gauges = RelaybusOperationsMetrics.builder(bus)
      .refreshInterval(Duration.ofMillis(200)).build();

  @AfterEach
  void close() {
    gauges.close();
    bus.close();
    receiver.stop(0);
  }

  private HttpServer startReceiver() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        try (InputStream body = exchange.getRequestBody()) {
          body.readAllBytes();
        }
        exchange.sendResponseHeaders(status.get(), -1);
        exchange.close();
      });
      server.start();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start the loopback receiver", e);
    }
  }

  @Test
  @DisplayName("a failing endpoint shows its breaker open and its pending delivery; disabled "
      + "shows 0; removed, its gauges go")
  void endpointStateFollowsTheTransport() {
    WebhookEndpoints endpoints = bus.unwrap(WebhookTransport.class).endpoints();
    endpoints.add(WebhookEndpoint.builder("crm")
        .url("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook")
        .topics("orders").concurrency(1).build());
    gauges.bindTo(registry);
    assertThat(gauge(ENDPOINT_ENABLED)).isEqualTo(1);
    assertThat(breaker("closed")).isEqualTo(1);
    assertThat(gauge(ENDPOINT_PENDING)).isZero();

    bus.publish("orders", Event.builder().source("/metrics-test").type("test").text("x")
        .build()).join();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(breaker("open")).isEqualTo(1);
      assertThat(breaker("closed")).isZero();
      assertThat(breaker("half-open")).isZero();
      assertThat(gauge(ENDPOINT_PENDING)).isEqualTo(1);
    });

    endpoints.disable("crm");
    await().atMost(Duration.ofSeconds(10)).until(() -> gauge(ENDPOINT_ENABLED) == 0);

    endpoints.remove("crm");
    await().atMost(Duration.ofSeconds(10)).until(() ->
        registry.find(ENDPOINT_ENABLED).tag(ENDPOINT, "crm").gauges().isEmpty());
    assertThat(registry.find(ENDPOINT_BREAKER).gauges()).isEmpty();
  }

  private double gauge(String name) {
    return registry.get(name).tag(ENDPOINT, "crm").gauge().value();
  }

  private double breaker(String state) {
    return registry.get(ENDPOINT_BREAKER).tag(ENDPOINT, "crm").tag(BREAKER_STATE, state).gauge()
        .value();
  }
}
