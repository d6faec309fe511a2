package io.relaybus.postgres;

import io.relaybus.spi.HealthGrace;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The pool's check, started by each tick of the health timer: takes a connection and runs
 * {@code SELECT 1}, reporting to the {@code postgres.pool} component. A check that has not
 * answered within the interval (at least a second) counts as failed at every tick while it
 * waits: taking a connection from a pool whose server is gone blocks for the pool's connection
 * timeout, and the component must not stay up meanwhile. One check runs at a time, on a thread
 * of its own.
 */
final class PoolHealthCheck implements AutoCloseable {
  private final Database database;
  private final HealthGrace grace;
  private final long timeoutNanos;
  private final ExecutorService checker;
  private long runningSince; // System.nanoTime() of the running check; guarded by this
  private boolean running; // guarded by this

  PoolHealthCheck(PostgresSettings settings, Database database, HealthGrace grace,
      ThreadFactory checkerThreads) {
    this.database = database;
    this.grace = grace;
    this.timeoutNanos = Math.max(TimeUnit.SECONDS.toNanos(1),
        settings.healthCheckInterval.toNanos());
    this.checker = Executors.newSingleThreadExecutor(checkerThreads);
  }

  /** Starts a check, or reports the running one as failed once it is overdue. */
  void tick() {
    synchronized (this) {
      if (running) {
        long waited = System.nanoTime() - runningSince;
        if (waited >= timeoutNanos) {
          grace.failed("no answer from the pool's check query for "
              + TimeUnit.NANOSECONDS.toMillis(waited) + " ms");
        }
        return;
      }
      running = true;
      runningSince = System.nanoTime();
    }
    try {
      checker.execute(this::check);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        running = false; // closing
      }
    }
  }

  private void check() {
    String failure = null;
    try {
      database.read(c -> {
        try (Statement st = c.createStatement()) {
          st.setQueryTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)));
          st.execute("SELECT 1");
        }
        return null;
      });
    } catch (SQLException | RuntimeException e) {
      failure = "check query failed: " + e.getMessage();
    }
    synchronized (this) {
      running = false;
      if (failure == null) {
        grace.passed();
      } else {
        grace.failed(failure);
      }
    }
  }

  @Override
  public void close() {
    checker.shutdownNow();
  }
}
