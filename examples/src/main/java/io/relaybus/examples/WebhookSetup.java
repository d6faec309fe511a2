package io.relaybus.examples;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Webhook transport configurations the examples share: the durable JDBC outbox on the
 * example's PostgreSQL, and the configuration with which the swap example's application runs on
 * webhooks.
 */
public final class WebhookSetup {
  private WebhookSetup() {}

  /**
   * {@code relaybus.transport=webhook} with the durable JDBC outbox in the server's database
   * (schema {@code relaybus_webhook}, created by the transport on start).
   *
   * @param postgres the example's PostgreSQL server
   * @return a mutable configuration map, in the order the keys are explained
   */
  public static Map<String, String> jdbcOutbox(PostgresServer postgres) {
    Map<String, String> db = postgres.busConfig();
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", db.get("relaybus.postgres.url"));
    config.put("relaybus.webhook.jdbc.user", db.get("relaybus.postgres.user"));
    String password = db.get("relaybus.postgres.password");
    if (password != null) {
      config.put("relaybus.webhook.jdbc.password", password);
    }
    return config;
  }

  /**
   * The configuration on which {@code io.relaybus.examples.swap.OrderApp} runs unchanged over
   * webhooks. The bus publishes into the JDBC outbox and, for each {@code subscribe(topic,
   * group)}, starts its own loopback receiver and registers it as the member of the route
   * {@code <group>@<topic>}; every order is then POSTed, signed with a secret generated for the
   * group, to the bus's own receiver once per group. No endpoint, secret or SSRF key is needed:
   * group members are reached on loopback by design, and configured endpoints are the only URLs
   * the SSRF guard checks. The dispatcher looks for due deliveries every 100 ms (default 1 s),
   * which only makes the run faster.
   *
   * @param postgres the example's PostgreSQL server
   * @return the configuration; it holds the database password when the server has one
   */
  public static Map<String, String> swapConfig(PostgresServer postgres) {
    Map<String, String> config = jdbcOutbox(postgres);
    config.put("relaybus.webhook.poll-interval", "100ms");
    return config;
  }
}
