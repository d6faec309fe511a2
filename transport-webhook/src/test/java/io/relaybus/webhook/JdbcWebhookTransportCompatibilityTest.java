package io.relaybus.webhook;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.spi.Instrumentation;
import io.relaybus.tck.TransportCompatibilityKit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The compatibility kit on the webhook transport with the PostgreSQL outbox, on its own embedded
 * server so the kit can cut connections and restart the server mid-stream.
 */
class JdbcWebhookTransportCompatibilityTest extends TransportCompatibilityKit {
  private static PostgresServer server;
  private static String url;
  private static boolean own;

  @BeforeAll
  static void startServer() {
    own = System.getenv(PostgresServer.URL_ENV) == null;
    server = own ? PostgresServer.startEmbedded("webhook-tck") : PostgresServer.shared();
    url = server.createDatabase("relaybus_webhook_tck");
  }

  @AfterAll
  static void stopServer() {
    if (server != null && own) {
      server.close();
    }
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    return EventBus.create(config(overrides));
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    return EventBus.builder().properties(config(overrides)).instrumentation(instrumentation)
        .build();
  }

  private Map<String, String> config(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>(WebhookTestConfig.TCK);
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", url);
    config.put("relaybus.webhook.jdbc.user", server.user());
    config.put("relaybus.webhook.jdbc.password", server.password());
    config.putAll(overrides);
    return config;
  }

  @Override
  protected boolean canKillConnections() {
    return true;
  }

  @Override
  protected void killConnections() {
    server.terminateBackends("relaybus-webhook%");
  }

  @Override
  protected boolean canRestartServer() {
    return server.canRestart();
  }

  @Override
  protected void restartServer() {
    server.restart();
  }
}
