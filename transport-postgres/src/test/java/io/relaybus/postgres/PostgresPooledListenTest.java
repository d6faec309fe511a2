package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.EventBus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On the application's pool the LISTEN connection is one of the pool's: when the bus closes it
 * goes back unlistened, and not while the listener still reads from it. A connection given back
 * still listening would collect every later notification of the channel in the driver's memory
 * for whoever borrows it next.
 */
class PostgresPooledListenTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_pooled_listen");

  @Test
  void theListenConnectionGoesBackToTheApplicationsPoolUnlistened() throws Exception {
    HikariConfig config = new HikariConfig();
    config.setDataSource(DB.dataSource());
    config.setMaximumPoolSize(4);
    try (HikariDataSource app = new HikariDataSource(config)) {
      try (EventBus bus = EventBus.builder()
          .provider(PostgresTransportProvider.withDataSource(app)).build()) {
        await().atMost(Duration.ofSeconds(20)).until(() -> listening(app) == 1);
      }
      assertThat(app.getHikariPoolMXBean().getActiveConnections())
          .as("the listener's connection is back in the pool").isZero();
      List<Connection> all = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          all.add(app.getConnection());
        }
        for (Connection c : all) {
          try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_listening_channels()")) {
            rs.next();
            assertThat(rs.getLong(1)).as("a pooled connection still listening").isZero();
          }
        }
      } finally {
        for (Connection c : all) {
          c.close();
        }
      }
    }
  }

  /** Sessions of the pool's database whose last statement was a LISTEN. */
  private static long listening(HikariDataSource app) throws SQLException {
    try (Connection c = app.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = "
            + "current_database() AND query LIKE 'LISTEN %'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
