package io.relaybus.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * topic naming the partitions that got events ({@link NotifyPayload}). Publishing transactions
 * therefore never take PostgreSQL's NOTIFY commit lock, the number of notifications stays far
 * below the number of events under load, and only the members reading those partitions wake.
 */
final class NotifyCoalescer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotifyCoalescer.class);

  private final Database database;
  private final String channel;
  /** Topics to notify, with their partitions ({@link #ALL}: every partition). */
  private final Map<String, BitSet> pending = new ConcurrentHashMap<>();
  /** Never modified: compared by identity. */
  private static final BitSet ALL = new BitSet(0);
  private final String origin;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final AtomicLong notificationsSent = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  private final long intervalNanos;

  NotifyCoalescer(Database database, String channel, String origin,
      java.time.Duration interval, ThreadFactory threads) {
    this.database = database;
    this.channel = channel;
    this.origin = origin;
    this.intervalNanos = interval.toNanos();
    this.thread = threads.newThread(this::run);
    thread.start();
  }

  /**
   * Notes a committed publish.
   *
   * @param topic the topic
   * @param partitions the partitions it wrote to, or {@code null} when not known (all)
   */
  void published(String topic, BitSet partitions) {
    boolean[] added = new boolean[1];
    pending.compute(topic, (t, waiting) -> {
      added[0] = waiting == null;
      return merge(waiting, partitions);
    });
    if (!added[0]) {
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

  /** The union of two partition sets, either possibly null (none) or {@link #ALL}. */
  private static BitSet merge(BitSet waiting, BitSet partitions) {
    if (waiting == ALL || partitions == null || partitions == ALL) {
      return ALL;
    }
    BitSet union = waiting == null ? new BitSet() : waiting;
    union.or(partitions);
    return union;
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
      Map<String, BitSet> taken = new LinkedHashMap<>();
      for (String topic : List.copyOf(pending.keySet())) {
        BitSet partitions = pending.remove(topic);
        if (partitions != null) {
          taken.put(topic, partitions);
        }
      }
      if (taken.isEmpty()) {
        continue;
      }
      List<String> payloads = new ArrayList<>(taken.size());
      taken.forEach((topic, partitions) -> payloads.add(
          NotifyPayload.format(topic, origin, partitions == ALL ? null : partitions)));
      try (Connection c = database.connection();
          PreparedStatement ps = c.prepareStatement(
              "SELECT pg_notify(?, t) FROM unnest(?::text[]) AS t")) {
        Array array = c.createArrayOf("text", payloads.toArray());
        ps.setString(1, channel);
        ps.setArray(2, array);
        ps.execute();
        lastSent = System.nanoTime();
        notificationsSent.addAndGet(payloads.size());
        if (failures > 0) {
          LOG.info("Notifications are sent again after {} failed attempt(s)", failures);
          failures = 0;
        }
      } catch (SQLException e) {
        // Subscribers still find the events by polling; try again shortly.
        if (failures++ == 0) {
          LOG.warn("Sending NOTIFY on channel {} failed; subscribers fall back to polling until "
              + "it works again: {}", channel, SqlErrors.rootCause(e));
        }
        taken.forEach((topic, partitions) -> pending.merge(topic, partitions,
            NotifyCoalescer::merge));
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
