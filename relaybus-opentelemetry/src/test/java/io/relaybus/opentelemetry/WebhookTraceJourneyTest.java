package io.relaybus.opentelemetry;

import io.relaybus.test.PostgresServer;
import io.relaybus.webhook.WebhookTransport;
import io.relaybus.test.RelaybusServers;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The traced journey on webhooks: the context travels in the outbox (PostgreSQL, shared by the
 * buses) and in the HTTP request to the group member's embedded receiver.
 */
class WebhookTraceJourneyTest extends TraceJourneyContract {
  private static PostgresServer database;

  @BeforeAll
  static void createDatabase() {
    database = RelaybusServers.postgres().createDatabase(
        "otel_webhook_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4));
  }

  @Override
  protected Map<String, String> busConfig() {
    Map<String, String> config = new HashMap<>();
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", database.jdbcUrl());
    config.put("relaybus.webhook.jdbc.user", database.user());
    config.put("relaybus.webhook.jdbc.password", database.password());
    config.put("relaybus.webhook.poll-interval", "100ms");
    config.put("relaybus.webhook.route-refresh", "200ms");
    config.put("relaybus.webhook.subscriber.member-ttl", "5s");
    return config;
  }

  @Test
  void aPublishIntoTheCallersTransactionContinuesTheCallersTrace() throws Exception {
    assertATransactionalPublishContinuesTheCallersTrace(database, (bus, c, topic, events) ->
        bus.unwrap(WebhookTransport.class).publish(c, topic, events));
  }
}
