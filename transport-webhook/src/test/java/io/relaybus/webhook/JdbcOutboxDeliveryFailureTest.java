package io.relaybus.webhook;

import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/** The failing-receiver contract on the PostgreSQL outbox. */
class JdbcOutboxDeliveryFailureTest extends DeliveryFailureContract {
  private static Map<String, String> config;

  @BeforeAll
  static void database() {
    config = TestDatabase.jdbcOutbox("webhook_failures");
  }

  @Override
  Map<String, String> outboxConfig() {
    return config;
  }
}
