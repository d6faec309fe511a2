package io.relaybus.opentelemetry;

import io.relaybus.postgres.PostgresTransport;
import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The traced journey on PostgreSQL: the context is stored in the event's headers column. */
class PostgresTraceJourneyTest extends TraceJourneyContract {
  private static PostgresServer database;

  @BeforeAll
  static void createDatabase() {
    database = RelaybusServers.postgres().createDatabase(
        "otel_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4));
  }

  @Override
  protected Map<String, String> busConfig() {
    Map<String, String> config = database.relaybusProperties();
    config.put("relaybus.postgres.poll-interval", "200ms");
    return config;
  }

  @Test
  void aPublishIntoTheCallersTransactionContinuesTheCallersTrace() throws Exception {
    assertATransactionalPublishContinuesTheCallersTrace(database, (bus, c, topic, events) ->
        bus.unwrap(PostgresTransport.class).publish(c, topic, events));
  }
}
