package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import io.relaybus.postgres.testing.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operations API on the PostgreSQL outbox, on its own embedded server so the storage
 * health tests can stop it and cut its connections.
 */
class JdbcOutboxOperationsTest extends OperationsContract {
  private static PostgresServer server;
  private static Map<String, String> config;

  @BeforeAll
  static void startServer() {
    server = PostgresServer.startEmbedded("webhook-ops");
    String url = server.createDatabase("relaybus_webhook_ops");
    config = new LinkedHashMap<>();
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", url);
    config.put("relaybus.webhook.jdbc.user", server.user());
    config.put("relaybus.webhook.jdbc.password", server.password());
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** A schema per test: endpoints one test leaves (disabled, failing) do not reach the next. */
  @BeforeEach
  void freshSchema() {
    config.put("relaybus.webhook.jdbc.schema", unique("ops").replace('-', '_'));
  }

  @Override
  Map<String, String> outboxConfig() {
    return config;
  }

  /** With the LISTEN connection of deliveries committed elsewhere. */
  @Override
  List<String> componentsOfANewBus() {
    return List.of("webhook.outbox", "webhook.listen");
  }

  private static Health.Status storage(EventBus bus) {
    return component(bus, "webhook.outbox").orElseThrow().status();
  }

  @Test
  @DisplayName("storage stopped: webhook.outbox DEGRADED at once, DOWN after the 1 s grace "
      + "period, with the reason; UP again once the server is back")
  void storageDownThenUp() {
    EventBus bus = bus(Map.of("relaybus.health.grace-period", "1s"));
    await().atMost(Duration.ofSeconds(10)).until(() -> storage(bus) == Health.Status.UP);
    assertThat(bus.operations().health().status()).isEqualTo(Health.Status.UP);

    List<Health.Status> seen = new ArrayList<>();
    server.stop();
    try {
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
        Health.Status s = storage(bus);
        seen.add(s);
        return s == Health.Status.DOWN;
      });
      assertThat(seen).contains(Health.Status.DEGRADED);
      assertThat(seen.indexOf(Health.Status.DEGRADED))
          .as("degraded first, down after the grace period")
          .isLessThan(seen.indexOf(Health.Status.DOWN));
      Health h = bus.operations().health();
      assertThat(h.status()).isEqualTo(Health.Status.DOWN);
      assertThat(component(bus, "webhook.outbox").orElseThrow().reason())
          .hasValueSatisfying(why -> assertThat(why).contains("outbox"));
    } finally {
      server.start();
    }
    await().atMost(Duration.ofSeconds(40)).until(() -> storage(bus) == Health.Status.UP);
    assertThat(component(bus, "webhook.outbox").orElseThrow().reason()).isEmpty();
  }

  @Test
  @DisplayName("an outage shorter than the grace period (connections killed, the server "
      + "stopped and started) makes webhook.outbox DEGRADED, never DOWN, then UP")
  void blipIsNeverDown() {
    EventBus bus = bus(Map.of("relaybus.health.grace-period", "20s"));
    await().atMost(Duration.ofSeconds(10)).until(() -> storage(bus) == Health.Status.UP);
    List<Health.Status> seen = new ArrayList<>();
    server.terminateBackends("relaybus-webhook%");
    server.stop();
    try {
      await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
        Health.Status s = storage(bus);
        seen.add(s);
        return s == Health.Status.DEGRADED;
      });
    } finally {
      server.start();
    }
    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(20)).until(() -> {
      Health.Status s = storage(bus);
      seen.add(s);
      return s == Health.Status.UP;
    });
    assertThat(seen).doesNotContain(Health.Status.DOWN);
  }
}
