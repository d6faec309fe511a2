package io.relaybus.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends NOTIFY for committed publishes, coalesced: while one NOTIFY statement is on its way,
 * every topic published meanwhile is collected and sent in the next one, one notification per
 * topic. Publishing transactions therefore never take PostgreSQL's NOTIFY commit lock, and the
 * number of notifications stays far below the number of events under load.
 */
final class NotifyCoalescer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotifyCoalescer.class);

  private final Database database;
  private final String channel;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final AtomicLong notificationsSent = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  private final long intervalNanos;

  NotifyCoalescer(Database database, String channel, java.time.Duration interval,
      ThreadFactory threads) {
    this.database = database;
    this.channel = channel;
    this.intervalNanos = interval.toNanos();
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  void published(String topic) {
    if (!pending.add(topic)) {
      // Already waiting for the next NOTIFY, which the notifier takes after this add: waking
      // it again would cost a thread switch per publish and send nothing sooner.
      return;
    }
    lock.lock();
    try {
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  long notificationsSent() {
    return notificationsSent.get();
  }

  private void run() {
    long failures = 0;
    long lastSent = System.nanoTime() - intervalNanos;
    while (running) {
      lock.lock();
      try {
        while (running && pending.isEmpty()) {
          work.await(1, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      // Leading-edge throttle: the first NOTIFY after a quiet spell goes at once; under load the
      // commits of one interval share the next one.
      long wait = lastSent + intervalNanos - System.nanoTime();
      if (wait > 0 && !pause(TimeUnit.NANOSECONDS.toMillis(wait) + 1)) {
        return;
      }
      List<String> topics = new ArrayList<>(pending);
      pending.removeAll(topics);
      if (topics.isEmpty()) {
        continue;
      }
      try (Connection c = database.connection();
          PreparedStatement ps = c.prepareStatement(
              "SELECT pg_notify(?, t) FROM unnest(?::text[]) AS t")) {
        Array array = c.createArrayOf("text", topics.toArray());
        ps.setString(1, channel);
        ps.setArray(2, array);
        ps.execute();
        lastSent = System.nanoTime();
        notificationsSent.addAndGet(topics.size());
        if (failures > 0) {
          LOG.info("Notifications are sent again after {} failed attempt(s)", failures);
          failures = 0;
        }
      } catch (SQLException e) {
        // Subscribers still find the events by polling; try again shortly.
        if (failures++ == 0) {
          LOG.warn("Sending NOTIFY on channel {} failed; subscribers fall back to polling until "
              + "it works again: {}", channel, e.getMessage());
        }
        pending.addAll(topics);
        if (!pause(Math.min(5_000, 100L * failures))) {
          return;
        }
      }
    }
  }

  /** Waits the full time (new work does not cut it short); false when closing. */
  private boolean pause(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    lock.lock();
    try {
      long left;
      while (running && (left = deadline - System.nanoTime()) > 0) {
        work.awaitNanos(left);
      }
      return running;
    } catch (InterruptedException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
