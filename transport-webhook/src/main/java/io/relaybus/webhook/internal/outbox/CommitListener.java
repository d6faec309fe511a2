package io.relaybus.webhook.internal.outbox;

import io.relaybus.spi.HealthGrace;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the outbox's LISTEN connection: a publish inside a caller's transaction cannot wake the
 * dispatcher itself (its deliveries are invisible until the caller commits), so it sends a
 * notification that PostgreSQL delivers at commit, to every sender listening on the schema.
 * Waits for notifications with a finite timeout, checks the connection with a query every
 * {@code checkEvery} (pgjdbc does not notice a dead socket while it waits), reconnects with
 * backoff, and wakes the dispatcher after every (re)connect, since notifications sent while it
 * was away are lost. Each outcome goes to the {@code webhook.listen} health component.
 */
final class CommitListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CommitListener.class);

  /** Where the LISTEN connection comes from; the listener closes what it got. */
  @FunctionalInterface
  interface Connections {
    Connection open() throws SQLException;
  }

  private final Connections connections;
  private final String channel;
  private final Runnable wake;
  private final HealthGrace health;
  private final long checkEveryMillis;
  private final Thread thread;
  private volatile boolean running = true;

  CommitListener(Connections connections, String channel, Runnable wake, HealthGrace health,
      Duration checkEvery, ThreadFactory threads) {
    this.connections = connections;
    this.channel = channel;
    this.wake = wake;
    this.health = health;
    this.checkEveryMillis = Math.max(100, checkEvery.toMillis());
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  private void run() {
    int failures = 0;
    while (running) {
      try (Connection c = connections.open()) {
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + channel);
        }
        if (failures > 0) {
          LOG.info("Webhook outbox LISTEN connection re-established after {} failed "
              + "attempt(s)", failures);
        }
        failures = 0;
        health.passed();
        wake.run(); // deliveries committed while nobody listened
        listen(c);
        try (Statement st = c.createStatement()) {
          st.execute("UNLISTEN *"); // a pool's connection goes back to the pool
        }
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        health.failed("LISTEN connection lost or not re-established (deliveries committed by "
            + "other connections are found every poll-interval meanwhile): " + e.getMessage());
        if (failures++ == 0) {
          LOG.warn("Webhook outbox LISTEN connection lost ({}); reconnecting, the dispatcher "
              + "polls meanwhile", e.toString());
        }
        wake.run();
        sleep(Math.min(5_000, 100L << Math.min(failures, 6)));
      }
    }
  }

  private void listen(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long lastCheck = System.nanoTime();
    // Short waits: close() does not close the connection under this thread (a pool's connection
    // would go back to the pool while this thread still reads from it) but lets it stop.
    int wait = (int) Math.min(checkEveryMillis, 250);
    while (running) {
      PGNotification[] notifications = pg.getNotifications(wait);
      if (notifications != null && notifications.length > 0) {
        wake.run();
      }
      if (System.nanoTime() - lastCheck >= checkEveryMillis * 1_000_000) {
        try (Statement st = c.createStatement()) {
          st.setQueryTimeout((int) Math.max(1, checkEveryMillis / 500));
          st.execute("SELECT 1");
        }
        health.passed();
        lastCheck = System.nanoTime();
      }
    }
  }

  /** The reconnect backoff, in short steps so that close() need not interrupt this thread. */
  private void sleep(long millis) {
    long until = System.nanoTime() + millis * 1_000_000;
    try {
      while (running && System.nanoTime() - until < 0) {
        Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Stops listening; the listener's thread unlistens and closes its connection. */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
