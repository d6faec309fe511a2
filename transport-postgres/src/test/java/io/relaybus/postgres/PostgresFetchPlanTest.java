package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member's fetch runs on a plan the server keeps instead of planning every fetch again:
 * planning the fetch costs the server more than running it when a member keeps up with its
 * publishers and each fetch returns a few rows. The built-in pool's sessions run with
 * {@code plan_cache_mode=force_generic_plan}; on an application's DataSource the fetch is
 * written so that PostgreSQL's own choice falls on the generic plan once it knows the topic.
 */
class PostgresFetchPlanTest {
  private static final int EVENTS = 2_000;
  private static final int CONNECTIONS = 4;
  private static final String TOPIC = "fetch.plans";
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_fetch_plans");

  @Test
  void theBuiltInPoolKeepsGenericPlans() throws Exception {
    PostgresTransport transport = DB.buses().bus().unwrap(PostgresTransport.class);
    try (Connection c = transport.database().connection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW plan_cache_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("force_generic_plan");
    }
  }

  /**
   * The member's connections come from the test's own pool (the server's default plan choice),
   * so that after the bus is closed the test can ask each of them how often its statements ran
   * on a generic and on a custom plan ({@code pg_prepared_statements}, per session).
   */
  @Test
  void onAnApplicationDataSourceFetchesRunOnTheGenericPlan() throws Exception {
    HikariConfig config = new HikariConfig();
    config.setDataSource(DB.dataSource());
    config.setMaximumPoolSize(CONNECTIONS);
    config.setMinimumIdle(CONNECTIONS);
    TestBuses buses = DB.buses();
    try (HikariDataSource pool = new HikariDataSource(config)) {
      // Rows only: a fetch reads no more than its share of them, where whole packs would be
      // read at once (ADR 0014) and leave few fetches to count.
      EventBus publisher = buses.bus(Map.of("relaybus.postgres.partitions", "8",
          "relaybus.postgres.pack-batches", "false"));
      TestBuses.publishKeyed(publisher, TOPIC, EVENTS);

      EventBus consumer = buses.track(EventBus.builder()
          .provider(PostgresTransportProvider.withDataSource(pool))
          .property("relaybus.postgres.poll-interval", "100ms")
          .property("relaybus.postgres.fetch-size", "4") // no reading ahead of the 4 slots
          .build());
      Set<String> seen = ConcurrentHashMap.newKeySet();
      // A small in-flight limit: many small fetches, as when a member keeps up with publishers.
      consumer.subscribe(TOPIC, SubscribeOptions.builder().group("g").maxInFlight(4).build(),
          d -> seen.add(d.event().id()));
      await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() == EVENTS);
      buses.close(); // the pool's connections stay open, with their prepared statements

      long generic = 0;
      long custom = 0;
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < CONNECTIONS; i++) {
          held.add(pool.getConnection()); // all at once: every connection of the pool
        }
        for (Connection c : held) {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT coalesce(sum(generic_plans), 0), "
                  + "coalesce(sum(custom_plans), 0) FROM pg_prepared_statements "
                  + "WHERE statement LIKE '%CROSS JOIN LATERAL%'")) {
            rs.next();
            generic += rs.getLong(1);
            custom += rs.getLong(2);
          }
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
      // At least one fetch per 4 events; PostgreSQL tries custom plans for the first five
      // executions of each statement text on each connection, then keeps the generic plan.
      assertThat(generic + custom).isGreaterThanOrEqualTo(EVENTS / 4 / 2);
      assertThat(generic).as("fetches on the generic plan (custom: %d)", custom)
          .isGreaterThan(4 * custom);
    }
  }
}
