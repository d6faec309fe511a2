package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An ordered or keyed route's claim reads its own deliveries, not the backlog of the routes
 * published before it: 20,000 older deliveries of another route (an endpoint that is down)
 * stand between the primary key's first id and the route's own. Run on the claim's statement
 * ({@link JdbcOutbox#succeededAndClaim}), counting the delivery rows PostgreSQL read ({@link ClaimReads}):
 * the claim finds the route's rows through the {@code (route, id)} index, not by reading rows
 * and filtering them by route. With {@code route = ?} the planner walked the primary key in id
 * order and filtered out every older delivery of the other routes, on each claim.
 */
class JdbcOutboxClaimPlanTest {

  private static final String SCHEMA = "claim_plan";
  /**
   * Deliveries per route. Each route has a backlog, so the planner, assuming a route's rows are
   * spread evenly over the ids, expects a walk of the primary key to meet one of them at once.
   */
  private static final int ROWS = 20_000;
  private static HikariDataSource pool;
  private static JdbcOutbox outbox;

  @BeforeAll
  static void database() throws SQLException {
    OutboxDatabase db = OutboxDatabase.create("webhook_claim_plan");
    pool = db.pool(2);
    outbox = new JdbcOutbox(pool, null, SCHEMA);
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      // Rows of a real size (attributes, 200 bytes of data), one route after the other.
      for (String route : List.of("down", "in-order", "keyed")) {
        st.execute("INSERT INTO " + SCHEMA + ".route (name, topics) VALUES ('" + route
            + "', '{t}')");
        st.execute("INSERT INTO " + SCHEMA + ".delivery (route, topic, event_id, ordering_key, "
            + "attributes, data) SELECT '" + route + "', 't', '" + route + "-' || g, 'k' || "
            + "(g % 3), repeat('a', 120), convert_to(repeat('d', 200), 'UTF8') FROM "
            + "generate_series(1, " + ROWS + ") g");
      }
      st.execute("ANALYZE " + SCHEMA + ".delivery");
    }
  }

  @AfterAll
  static void close() {
    outbox.close();
    pool.close();
  }

  @ParameterizedTest(name = "ordered={0}, byKey={1}")
  @CsvSource({"true, false, in-order", "false, true, keyed"})
  void theClaimReadsTheRoutesOwnDeliveries(boolean ordered, boolean byKey, String route)
      throws SQLException {
    long read;
    try (Connection c = pool.getConnection()) {
      read = ClaimReads.of(outbox, c, SCHEMA, ordered, byKey, false, route, 64);
    }

    // The keyed claim's window, not the other routes' 20,000 older rows.
    assertThat(read).as("delivery rows read by the claim of route %s", route)
        .isPositive().isLessThanOrEqualTo(2_200);
  }
}
