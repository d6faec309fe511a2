package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes published events with group commit: each writer thread takes every request waiting in
 * its queue (up to a bound) and inserts them in one transaction, so many concurrent single
 * publishes cost one commit. Requests of one key always go to the same writer, in order, so
 * publish order per key is kept even when callers do not wait for each future. A transaction
 * takes at most {@value #MAX_EVENTS_PER_TRANSACTION} events and
 * {@link PostgresSettings#MAX_BATCH_SIZE} bytes of events, unless its first request alone is
 * larger in events.
 */
final class PublishPipeline implements AutoCloseable {
  private static final int MAX_EVENTS_PER_TRANSACTION = 1_000;

  private final PublishContext context;
  private final Writer[] writers;
  private volatile boolean closed;

  PublishPipeline(PublishContext context, int writerCount, ThreadFactory threads) {
    this.context = context;
    this.writers = new Writer[writerCount];
    for (int i = 0; i < writerCount; i++) {
      writers[i] = new Writer(threads);
    }
  }

  int writerCount() {
    return writers.length;
  }

  CompletableFuture<List<PublishReceipt>> submit(String topic, List<Event> events) {
    CompletableFuture<List<PublishReceipt>> future = new CompletableFuture<>();
    if (closed) {
      future.completeExceptionally(new RelaybusException("The postgres transport is closed"));
      return future;
    }
    String key = events.get(0).key().orElse(null);
    Writer writer = key == null ? leastLoaded()
        : writers[Math.floorMod(key.hashCode(), writers.length)];
    long bytes = 0;
    for (Event e : events) {
      bytes += e.size();
    }
    writer.load.incrementAndGet();
    writer.queue.add(new Request(topic, events, bytes, future));
    return future;
  }

  /**
   * The writer with the fewest requests queued or being written, ties broken from a random
   * start. Unkeyed events have no order to keep, so they go where they wait least: a random
   * writer would often be busy while another is idle, and a synchronous caller then waits for
   * a whole transaction it is not part of.
   */
  private Writer leastLoaded() {
    int start = ThreadLocalRandom.current().nextInt(writers.length);
    Writer best = writers[start];
    int bestLoad = best.load.get();
    for (int i = 1; i < writers.length && bestLoad > 0; i++) {
      Writer w = writers[(start + i) % writers.length];
      int load = w.load.get();
      if (load < bestLoad) {
        best = w;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Inserts events on a connection inside the caller's transaction; no commit, no NOTIFY. */
  static List<PublishReceipt> insert(Connection c, PostgresSettings settings, String topic,
      int partitions, List<Event> events) throws SQLException {
    EventBatch rows = new EventBatch(events.size());
    List<PublishReceipt> receipts = add(rows, topic, partitions, events, new BitSet());
    rows.insert(c, settings);
    return receipts;
  }

  /** Adds the rows of events to a batch; {@code touched} gets the partitions they go to. */
  private static List<PublishReceipt> add(EventBatch rows, String topic, int partitions,
      List<Event> events, BitSet touched) {
    List<PublishReceipt> receipts = new ArrayList<>(events.size());
    for (Event e : events) {
      int partition = Partitioner.partition(e.key().orElse(null), partitions);
      touched.set(partition);
      rows.add(topic, partition, e);
      receipts.add(new PublishReceipt(topic, e.id(), "partition-" + partition));
    }
    return receipts;
  }

  /** One publish; {@code bytes} is the sum of its events' {@link Event#size()}. */
  private record Request(String topic, List<Event> events, long bytes,
      CompletableFuture<List<PublishReceipt>> future) {}

  /** Tells a writer to stop after the requests queued before it. */
  private static final Request STOP = new Request(null, List.of(), 0, null);

  private final class Writer {
    final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    /** Requests submitted to this writer and not yet completed. */
    final AtomicInteger load = new AtomicInteger();
    final Thread thread;

    Writer(ThreadFactory threads) {
      thread = threads.newThread(this::run);
      thread.start();
    }

    private void run() {
      List<Request> batch = new ArrayList<>();
      while (true) {
        Request first;
        try {
          first = queue.take();
        } catch (InterruptedException e) {
          failPending(new RelaybusException("The postgres transport is closed"));
          return;
        }
        if (first == STOP) {
          failPending(new RelaybusException("The postgres transport is closed"));
          return;
        }
        batch.clear();
        batch.add(first);
        int events = first.events().size();
        long bytes = first.bytes();
        Request next;
        while (events < MAX_EVENTS_PER_TRANSACTION && (next = queue.peek()) != null
            && next != STOP && events + next.events().size() <= MAX_EVENTS_PER_TRANSACTION
            && bytes + next.bytes() <= PostgresSettings.MAX_BATCH_SIZE) {
          batch.add(queue.poll());
          events += next.events().size();
          bytes += next.bytes();
        }
        write(batch);
      }
    }

    /**
     * Writes a group of requests with one INSERT statement. On pool connections that already
     * have {@code relaybus.notify=off} the statement runs in auto-commit, so the whole group
     * costs one round trip; otherwise it runs in a transaction that first sets
     * {@code relaybus.notify=off} locally (or, in transactional notify mode, is notified by the
     * table's trigger at commit).
     */
    private void write(List<Request> batch) {
      List<List<PublishReceipt>> results = new ArrayList<>(batch.size());
      Map<String, BitSet> topics = new LinkedHashMap<>(); // the partitions written, by topic
      boolean outcomeUnknown = false;
      try (Connection c = context.database().connection()) {
        boolean setLocal = context.settings().notifyMode
            != PostgresSettings.NotifyMode.TRANSACTIONAL
            && !context.database().notifyOffPerSession();
        int rowCount = 0;
        for (Request r : batch) {
          rowCount += r.events().size();
        }
        EventBatch rows = new EventBatch(rowCount);
        if (!setLocal) {
          if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
          }
          for (Request r : batch) {
            results.add(add(rows, r.topic(), context.topics().partitions(c, r.topic()), r.events(),
                topics.computeIfAbsent(r.topic(), t -> new BitSet())));
          }
          try {
            rows.insert(c, context.settings());
          } catch (SQLException e) {
            // In auto-commit one statement commits or rolls back on its own: an error the
            // server reports means nothing was stored; a lost connection leaves it unknown.
            outcomeUnknown = SqlErrors.isConnectionFailure(e);
            throw e;
          }
        } else {
          for (Request r : batch) {
            results.add(add(rows, r.topic(), context.topics().partitions(c, r.topic()), r.events(),
                topics.computeIfAbsent(r.topic(), t -> new BitSet())));
          }
          c.setAutoCommit(false);
          try {
            try (Statement st = c.createStatement()) {
              st.execute("SET LOCAL relaybus.notify = 'off'");
            }
            rows.insert(c, context.settings());
            outcomeUnknown = true;
            c.commit();
          } catch (SQLException | RuntimeException e) {
            try {
              c.rollback();
            } catch (SQLException suppressed) {
              e.addSuppressed(suppressed);
            }
            throw e;
          } finally {
            c.setAutoCommit(true);
          }
        }
      } catch (SQLException e) {
        if (batch.size() > 1 && !outcomeUnknown && !SqlErrors.isConnectionFailure(e)) {
          // One request the database refuses must not fail the others it was grouped with:
          // nothing was stored, so write each on its own.
          for (Request r : batch) {
            write(List.of(r));
          }
          return;
        }
        fail(batch, SqlErrors.describe(e), SqlErrors.withoutValues(e), outcomeUnknown);
        return;
      } catch (RuntimeException e) {
        fail(batch, e.getMessage(), e, outcomeUnknown);
        return;
      }
      topics.forEach(context.published()::committed);
      load.addAndGet(-batch.size());
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).future().complete(results.get(i));
      }
    }

    private void fail(List<Request> batch, String reason, Exception cause,
        boolean outcomeUnknown) {
      load.addAndGet(-batch.size());
      for (Request r : batch) {
        r.future().completeExceptionally(new RelaybusException("Publishing "
            + r.events().size() + " event(s) to topic '" + r.topic() + "' failed"
            + (outcomeUnknown ? " while committing; they may or may not be stored (publishing again "
            + "is safe: consumers deduplicate on source and id)" : "; none was stored")
            + ": " + reason, cause));
      }
    }

    private void failPending(RuntimeException e) {
      Request r;
      while ((r = queue.poll()) != null) {
        if (r != STOP) {
          r.future().completeExceptionally(e);
        }
      }
    }
  }

  /** Stops the writers after the requests already queued are written. */
  @Override
  public void close() {
    closed = true;
    for (Writer w : writers) {
      w.queue.add(STOP);
    }
    for (Writer w : writers) {
      try {
        w.thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      w.thread.interrupt();
    }
  }
}
