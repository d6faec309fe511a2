package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes published events with group commit: each writer thread takes every request waiting in
 * its queue (up to a bound) and inserts them in one transaction, so many concurrent single
 * publishes cost one commit. Requests of one key always go to the same writer, in order, so
 * publish order per key is kept even when callers do not wait for each future.
 */
final class PublishPipeline implements AutoCloseable {
  private static final int MAX_EVENTS_PER_TRANSACTION = 1_000;

  private final PostgresTransport transport;
  private final Writer[] writers;
  private volatile boolean closed;

  PublishPipeline(PostgresTransport transport, int writerCount, ThreadFactory threads) {
    this.transport = transport;
    this.writers = new Writer[writerCount];
    for (int i = 0; i < writerCount; i++) {
      writers[i] = new Writer(threads);
    }
  }

  CompletableFuture<List<PublishReceipt>> submit(String topic, List<Event> events) {
    CompletableFuture<List<PublishReceipt>> future = new CompletableFuture<>();
    if (closed) {
      future.completeExceptionally(new RelaybusException("The postgres transport is closed"));
      return future;
    }
    String key = events.get(0).key().orElse(null);
    int index = key == null ? ThreadLocalRandom.current().nextInt(writers.length)
        : Math.floorMod(key.hashCode(), writers.length);
    writers[index].queue.add(new Request(topic, events, future));
    return future;
  }

  /** Inserts events on a connection inside the caller's transaction; no commit, no NOTIFY. */
  static List<PublishReceipt> insert(Connection c, String schema, String topic, int partitions,
      List<Event> events) throws SQLException {
    List<PublishReceipt> receipts = new ArrayList<>(events.size());
    try (PreparedStatement ps = c.prepareStatement(EventRows.insertSql(schema))) {
      for (Event e : events) {
        int partition = Partitioner.partition(e.key().orElse(null), partitions);
        ps.setString(1, topic);
        ps.setInt(2, partition);
        EventRows.bind(ps, 3, e);
        ps.addBatch();
        receipts.add(new PublishReceipt(topic, e.id(), "partition-" + partition));
      }
      ps.executeBatch();
    }
    return receipts;
  }

  private record Request(String topic, List<Event> events,
      CompletableFuture<List<PublishReceipt>> future) {}

  /** Tells a writer to stop after the requests queued before it. */
  private static final Request STOP = new Request(null, List.of(), null);

  private final class Writer {
    final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
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
        Request next;
        while (events < MAX_EVENTS_PER_TRANSACTION && (next = queue.peek()) != null
            && next != STOP && events + next.events().size() <= MAX_EVENTS_PER_TRANSACTION) {
          batch.add(queue.poll());
          events += next.events().size();
        }
        write(batch);
      }
    }

    private void write(List<Request> batch) {
      List<List<PublishReceipt>> results = new ArrayList<>(batch.size());
      Set<String> topics = new LinkedHashSet<>();
      boolean committing = false;
      try (Connection c = transport.database().connection()) {
        c.setAutoCommit(false);
        try {
          if (transport.settings().notifyMode != PostgresSettings.NotifyMode.TRANSACTIONAL
              && !transport.database().notifyOffPerSession()) {
            try (Statement st = c.createStatement()) {
              st.execute("SET LOCAL relaybus.notify = 'off'");
            }
          }
          for (Request r : batch) {
            int partitions = transport.partitions(c, r.topic());
            results.add(insert(c, transport.settings().schema, r.topic(), partitions,
                r.events()));
            topics.add(r.topic());
          }
          committing = true;
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
      } catch (SQLException e) {
        if (batch.size() > 1 && !committing && !SqlErrors.isConnectionFailure(e)) {
          // One request the database refuses must not fail the others it was grouped with:
          // nothing was stored, so write each on its own.
          for (Request r : batch) {
            write(List.of(r));
          }
          return;
        }
        fail(batch, SqlErrors.describe(e), SqlErrors.withoutValues(e), committing);
        return;
      } catch (RuntimeException e) {
        fail(batch, e.getMessage(), e, committing);
        return;
      }
      for (String topic : topics) {
        transport.published(topic);
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).future().complete(results.get(i));
      }
    }

    private void fail(List<Request> batch, String reason, Exception cause, boolean committing) {
      for (Request r : batch) {
        r.future().completeExceptionally(new RelaybusException("Publishing "
            + r.events().size() + " event(s) to topic '" + r.topic() + "' failed"
            + (committing ? " while committing; they may or may not be stored (publishing again "
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
