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

  NotifyCoalescer(Database database, String channel, ThreadFactory threads) {
    this.database = database;
    this.channel = channel;
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  void published(String topic) {
    pending.add(topic);
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

  private boolean pause(long millis) {
    lock.lock();
    try {
      work.await(millis, TimeUnit.MILLISECONDS);
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
