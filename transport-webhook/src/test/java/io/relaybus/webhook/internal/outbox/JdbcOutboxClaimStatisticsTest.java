package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A claim reads the few deliveries it takes, not the route's backlog, however PostgreSQL plans
 * it. Two situations let the planner choose plans that read the whole backlog on every claim:
 *
 * <ul>
 *   <li><b>collapsed statistics</b>: an outbox is often empty; analyzed at such a moment with
 *       its pages not yet truncated, it is recorded as holding no row, and until the next
 *       analyze the planner takes any scan of it for one row, so collecting and sorting a
 *       route's due deliveries, or walking the primary key through every route's rows, looks as
 *       cheap as the ordered walk. Here: a backlog analyzed, deleted, analyzed while empty, and
 *       a new backlog, for the claimed route alone ({@code alone}) and behind two other routes
 *       ({@code shared});</li>
 *   <li><b>a generic plan</b>: after a few executions PostgreSQL may keep one plan for every
 *       value of the parameters, made without their values, in which a join back to the table
 *       may be a sequential scan. Here: a backlog with true statistics and {@code
 *       plan_cache_mode = force_generic_plan} ({@code generic}).</li>
 * </ul>
 *
 * Each claim statement ({@link JdbcOutbox#succeededAndClaim}, with and without a round's
 * successes) runs here and reads no more delivery rows than it needs, counted by PostgreSQL
 * ({@link ClaimReads}).
 */
class JdbcOutboxClaimStatisticsTest {

  private static final List<String> ROUTES = List.of("plain", "in-order", "keyed");
  private static final int ROWS = 20_000;
  /** A keyed claim legitimately reads its window of the route's oldest deliveries. */
  private static final int MOST_ROWS_A_CLAIM_READS = 2_200;
  private static HikariDataSource pool;
  /** By schema: one per route ({@code alone_<route>}), {@code shared} and {@code generic}. */
  private static final Map<String, JdbcOutbox> outboxes = new LinkedHashMap<>();

  @BeforeAll
  static void database() throws SQLException {
    OutboxDatabase db = OutboxDatabase.create("webhook_claim_statistics");
    pool = db.pool(2);
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      for (String route : ROUTES) {
        backlog(st, schema(route, "alone"), List.of(route), true);
      }
      backlog(st, "shared", ROUTES, true);
      backlog(st, "generic", ROUTES, false);
    }
  }

  private static String schema(String route, String state) {
    return state.equals("alone") ? "alone_" + route.replace('-', '_') : state;
  }

  /** A schema of its own with a backlog per route, its statistics collapsed or true. */
  private static void backlog(Statement st, String schema, List<String> routes,
      boolean collapsed) throws SQLException {
    outboxes.put(schema, new JdbcOutbox(pool, null, schema));
    for (String route : routes) { // enabled: a claim takes deliveries of enabled routes only
      st.execute("INSERT INTO " + schema + ".route (name, topics) VALUES ('" + route
          + "', '{t}')");
    }
    // The statistics stay as this test leaves them.
    st.execute("ALTER TABLE " + schema + ".delivery SET (autovacuum_enabled = false)");
    insertBacklogs(st, schema, routes);
    st.execute("ANALYZE " + schema + ".delivery"); // the columns' statistics, of a backlog
    if (!collapsed) {
      return;
    }
    // Drained: every row deleted, and analyzed before a vacuum truncates the empty pages (an
    // analyze that samples no row keeps the columns' statistics and records zero rows).
    st.execute("DELETE FROM " + schema + ".delivery");
    st.execute("ANALYZE " + schema + ".delivery");
    try (ResultSet rs = st.executeQuery("SELECT reltuples, relpages FROM pg_class WHERE oid = '"
        + schema + ".delivery'::regclass")) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows the statistics record").isZero();
      assertThat(rs.getLong(2)).as("pages the statistics record").isPositive();
    }
    insertBacklogs(st, schema, routes); // the next burst, before autovacuum analyzes again
  }

  private static void insertBacklogs(Statement st, String schema, List<String> routes)
      throws SQLException {
    for (String route : routes) {
      st.execute("INSERT INTO " + schema + ".delivery (route, topic, event_id, ordering_key, "
          + "attributes, data) SELECT '" + route + "', 't', '" + route + "-' || g, 'k' || "
          + "(g % 3), repeat('a', 120), convert_to(repeat('d', 200), 'UTF8') FROM "
          + "generate_series(1, " + ROWS + ") g");
    }
  }

  @AfterAll
  static void close() {
    outboxes.values().forEach(JdbcOutbox::close);
    pool.close();
  }

  @ParameterizedTest(name = "ordered={0}, byKey={1}, {3}, after successes={4}")
  @CsvSource({
      "false, false, plain, alone, false", "true, false, in-order, alone, false",
      "false, true, keyed, alone, false", "false, false, plain, shared, false",
      "true, false, in-order, shared, false", "false, true, keyed, shared, false",
      "false, false, plain, generic, false", "true, false, in-order, generic, false",
      "false, true, keyed, generic, false",
      "false, false, plain, alone, true", "true, false, in-order, alone, true",
      "false, true, keyed, alone, true", "false, false, plain, shared, true",
      "true, false, in-order, shared, true", "false, true, keyed, shared, true",
      "false, false, plain, generic, true", "true, false, in-order, generic, true",
      "false, true, keyed, generic, true"})
  void theClaimReadsOnlyWhatItTakes(boolean ordered, boolean byKey, String route, String state,
      boolean records) throws SQLException {
    String schema = schema(route, state);
    long read;
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("SET plan_cache_mode = " + (state.equals("generic") ? "force_generic_plan"
          : "auto"));
      try {
        read = ClaimReads.of(outboxes.get(schema), c, schema, ordered, byKey, records, route,
            64);
      } finally {
        st.execute("RESET plan_cache_mode");
      }
    }

    assertThat(read).as("delivery rows read by the claim of route %s in %s", route, schema)
        .isPositive().isLessThanOrEqualTo(MOST_ROWS_A_CLAIM_READS);
  }
}
