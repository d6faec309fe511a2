package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's recorded row count of the delivery table is corrected when it has collapsed: an
 * outbox analyzed while empty, with its pages not yet truncated, is recorded as holding no row,
 * and the planner then takes the next backlog for one row until the next analyze (see {@link
 * JdbcOutboxClaimStatisticsTest} for what such plans cost). Each sender checks every few
 * seconds and analyzes the table when its recorded rows are below a quarter of its live ones.
 */
class JdbcOutboxRowEstimateTest {

  private static final int BACKLOG = 5_000;

  @Test
  void aCollapsedEstimateIsCorrectedAndAnHonestOneLeftAlone() throws SQLException {
    OutboxDatabase db = OutboxDatabase.create("webhook_row_estimate");
    try (HikariDataSource pool = db.pool(2);
        JdbcOutbox outbox = new JdbcOutbox(pool, null, "estimate");
        Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("ALTER TABLE estimate.delivery SET (autovacuum_enabled = false)");
      insert(st, "estimate", 100);
      assertThat(outbox.correctRowEstimate()).as("a hundred deliveries: not worth it").isFalse();

      collapse(st, "estimate");
      assertThat(recordedRows(st, "estimate")).isZero();

      assertThat(outbox.correctRowEstimate()).as("corrected").isTrue();
      assertThat(recordedRows(st, "estimate")).isGreaterThanOrEqualTo(BACKLOG / 2);
      assertThat(outbox.correctRowEstimate()).as("already right").isFalse();
    }
  }

  @Test
  void aRunningSenderCorrectsItWithinSeconds() throws SQLException {
    PostgresServer server = PostgresServer.shared();
    String url = server.createDatabase("webhook_row_estimate_sender");
    Map<String, String> config = Map.of("relaybus.transport", "webhook",
        "relaybus.webhook.outbox", "jdbc", "relaybus.webhook.jdbc.url", url,
        "relaybus.webhook.jdbc.user", server.user(),
        "relaybus.webhook.jdbc.password", server.password(),
        "relaybus.webhook.jdbc.schema", "sender_estimate",
        "relaybus.webhook.ssrf.allow-categories", "loopback");
    try (EventBus bus = EventBus.create(config);
        Connection c = DriverManager.getConnection(url, server.user(), server.password());
        Statement st = c.createStatement()) {
      WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
      // An endpoint that is off: its backlog stays, and only the estimate is looked at.
      webhooks.endpoints().add(WebhookEndpoint.builder("down").url("http://127.0.0.1:9/")
          .topics("orders").build());
      webhooks.endpoints().disable("down");
      st.execute("ALTER TABLE sender_estimate.delivery SET (autovacuum_enabled = false)");
      collapse(st, "sender_estimate");

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(recordedRows(st, "sender_estimate"))
              .isGreaterThanOrEqualTo(BACKLOG / 2));
    }
  }

  /** A backlog, deleted, analyzed while empty, then a new backlog of {@link #BACKLOG}. */
  private static void collapse(Statement st, String schema) throws SQLException {
    insert(st, schema, BACKLOG);
    st.execute("DELETE FROM " + schema + ".delivery");
    st.execute("ANALYZE " + schema + ".delivery");
    insert(st, schema, BACKLOG);
    // The live count is reported when this session's statistics are flushed: now.
    st.execute("SELECT pg_stat_force_next_flush()");
  }

  private static void insert(Statement st, String schema, int rows) throws SQLException {
    st.execute("INSERT INTO " + schema + ".delivery (route, topic, event_id, attributes, data) "
        + "SELECT 'down', 'orders', 'e' || g, '{}', convert_to(repeat('d', 200), 'UTF8') FROM "
        + "generate_series(1, " + rows + ") g");
  }

  private static long recordedRows(Statement st, String schema) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT reltuples::bigint FROM pg_class WHERE oid = '"
        + schema + ".delivery'::regclass")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
