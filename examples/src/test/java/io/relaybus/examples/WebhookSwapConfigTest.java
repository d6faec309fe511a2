package io.relaybus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Capability;
import io.relaybus.EventBus;
import io.relaybus.examples.swap.OrderApp;
import io.relaybus.examples.swap.Swap;
import io.relaybus.webhook.WebhookTransport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The swap example's application, unchanged, on {@link WebhookSetup#swapConfig}: it must compute
 * exactly what it computes on the memory transport (every order once per group, per-key order).
 */
class WebhookSwapConfigTest {
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  @Test
  void orderAppComputesTheSameResultOnWebhooksAsInMemory() throws Exception {
    String topic = OrderApp.TOPIC + ".webhook-swap-" + System.currentTimeMillis();
    OrderApp.Result memory;
    try (EventBus bus = EventBus.create(Map.of("relaybus.transport", "memory"))) {
      memory = new OrderApp(bus).run(Swap.ORDERS, topic, PATIENCE);
    }

    OrderApp.Result webhook;
    Map<String, String> config;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        PostgresServer postgres = PostgresServer.startOrConnect(new Console(out, "swap"))) {
      config = WebhookSetup.swapConfig(postgres);
      try (EventBus bus = EventBus.create(config)) {
        assertThat(bus.unwrap(WebhookTransport.class)).isNotNull();
        assertThat(bus.capabilities().has(Capability.ORDERED_BY_KEY)).isTrue();
        webhook = new OrderApp(bus).run(Swap.ORDERS, topic, PATIENCE);
        assertThat(bus.deadLetters().count(topic, "billing")).isZero();
        assertThat(bus.deadLetters().count(topic, "shipping")).isZero();
      }
    }

    assertThat(config).containsEntry("relaybus.transport", "webhook")
        .containsEntry("relaybus.webhook.outbox", "jdbc");
    assertThat(memory.parcels().values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(Swap.ORDERS);
    assertThat(memory.outOfOrder()).isZero();
    assertThat(webhook).isEqualTo(memory);
  }
}
