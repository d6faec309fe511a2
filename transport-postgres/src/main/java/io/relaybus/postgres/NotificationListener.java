package io.relaybus.postgres;

import io.relaybus.spi.HealthGrace;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the LISTEN connection. Waits for notifications with a finite timeout, checks the
 * connection with a query every health-check interval (pgjdbc does not notice a dead socket
 * while waiting), and reconnects with backoff. After every (re)connect it asks all members to
 * scan for events they missed while it was away. Each outcome is reported to the
 * {@code postgres.listen} health component: connected and checked, or lost.
 */
final class NotificationListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);

  private final Database database;
  private final PostgresSettings settings;
  private final Consumer<String> onPayload;
  private final Runnable onConnected;
  private final HealthGrace health;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Connection current;

  NotificationListener(Database database, PostgresSettings settings, Consumer<String> onPayload,
      Runnable onConnected, HealthGrace health, ThreadFactory threads) {
    this.database = database;
    this.health = health;
    this.settings = settings;
    this.onPayload = onPayload;
    this.onConnected = onConnected;
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  private void run() {
    int failures = 0;
    while (running) {
      try (Connection c = database.dedicatedConnection()) {
        current = c;
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + settings.channel());
        }
        if (failures > 0) {
          LOG.info("LISTEN connection re-established after {} failed attempt(s)", failures);
        }
        failures = 0;
        health.passed();
        onConnected.run();
        listen(c);
        try (Statement st = c.createStatement()) {
          st.execute("UNLISTEN *"); // a pool's connection goes back to the pool
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        health.failed("LISTEN connection lost or not re-established: " + e.getMessage());
        if (failures++ == 0) {
          LOG.warn("LISTEN connection lost ({}); reconnecting, members poll meanwhile",
              SqlErrors.rootCause(e));
        }
        onConnected.run(); // members rescan; events may have arrived unnoticed
        sleep(Math.min(5_000, 100L << Math.min(failures, 6)));
      } finally {
        current = null;
      }
    }
  }

  private void listen(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long checkEvery = settings.healthCheckInterval.toMillis();
    long lastCheck = System.currentTimeMillis();
    int wait = (int) Math.max(1, Math.min(checkEvery, 1_000));
    while (running) {
      PGNotification[] notifications = pg.getNotifications(wait);
      if (notifications != null) {
        for (PGNotification n : notifications) {
          onPayload.accept(n.getParameter());
        }
      }
      long now = System.currentTimeMillis();
      if (now - lastCheck >= checkEvery) {
        try (Statement st = c.createStatement()) {
          st.setQueryTimeout((int) Math.max(1, checkEvery / 1000 * 2));
          st.execute("SELECT 1");
        }
        health.passed();
        lastCheck = now;
      }
    }
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /**
   * Stops listening. A connection of its own is closed at once; a connection of the
   * application's pool is not closed under the listener's thread (it would go back to the pool
   * while that thread still reads from it, still listening): the thread stops within its wait,
   * unlistens and gives it back.
   */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    Connection c = current;
    if (c != null && !database.listensOnThePool()) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("Closing the LISTEN connection failed", e);
      }
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
