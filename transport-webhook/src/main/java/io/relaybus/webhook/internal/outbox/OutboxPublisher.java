package io.relaybus.webhook.internal.outbox;

import io.relaybus.Event;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Writes publishes into the JDBC outbox with group commit, as the PostgreSQL transport's publish
 * pipeline does (ADR 0010): one writer thread takes every publish waiting in its queue (up to
 * {@value #MAX_EVENTS_PER_TRANSACTION} events and {@value #MAX_BYTES_PER_TRANSACTION} bytes) and
 * writes them with one statement in auto-commit (atomic on its own: one round trip, no
 * {@code BEGIN}/{@code COMMIT}), so many concurrent single publishes and batches cost one
 * commit. A publish's future completes after that commit: its deliveries are durable. One writer keeps publish order, which ordered endpoints and per-key groups rely on
 * (delivery ids follow it).
 *
 * <p>The statement matches every event against the routes where it writes the rows (a route
 * added by another process counts at once) and returns how many deliveries each event got. A
 * group of {@value #PACK_MIN_EVENTS} events or more is written as one pack for the unordered
 * endpoints (ADR 0020): one row holding the events and one narrow row per such endpoint, instead
 * of a delivery row per event and endpoint; ordered endpoints and groups get rows.
 */
final class OutboxPublisher implements AutoCloseable {

  private static final int MAX_EVENTS_PER_TRANSACTION = 2_000;
  private static final long MAX_BYTES_PER_TRANSACTION = 16L << 20;
  /**
   * The fewest events a statement writes as a pack for the routes that take packs: a pack is
   * claimed, progressed and finished as a whole, which for a few events costs more statements
   * per event than rows do (ADR 0020).
   */
  static final int PACK_MIN_EVENTS = 32;

  /** One publish: its events and the future of how many deliveries they got. */
  record Request(String topic, List<Event> events, long bytes,
      CompletableFuture<Integer> future) {}

  private static final Request STOP = new Request(null, List.of(), 0, null);

  /** The delivery columns a publish writes, in the order both statements give them. */
  private static final String COLUMNS = "(route, topic, event_id, ordering_key, attributes, data)";
  /**
   * How many deliveries each event got, as one row of two arrays (event number, count) rather
   * than a row per event: the events without any are left out.
   */
  private static final String COUNTS = "SELECT array_agg(n), array_agg(k) FROM (SELECT n, "
      + "count(*)::int AS k FROM m GROUP BY n) c";
  /** Whether route {@code r} takes the topic {@code %s}: it names the topic, or {@code *}. */
  private static final String TAKES_TOPIC = "%s = ANY(r.topics) OR '*' = ANY(r.topics)";

  private final JdbcTransactions tx;
  private final String sql;
  private final String packedSql;
  private final boolean packs;
  private final String oneNotifyingSql;
  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Object startLock = new Object();
  private Thread thread;
  private volatile boolean closed;

  OutboxPublisher(JdbcTransactions tx, String schema) {
    this(tx, schema, true);
  }

  /** A publisher that writes packs ({@code packs}) or only rows. */
  OutboxPublisher(JdbcTransactions tx, String schema, boolean packs) {
    this.tx = tx;
    this.packs = packs;
    String s = schema;
    // Rows are inserted in (event, route) order so that delivery ids follow publish order.
    this.sql = "WITH e AS MATERIALIZED (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], "
        + "?::text[], ?::bytea[]) WITH ORDINALITY AS e(topic, event_id, ordering_key, "
        + "attributes, data, n)), m AS MATERIALIZED (SELECT e.n, r.name FROM e JOIN " + s
        + ".route r ON " + TAKES_TOPIC.formatted("e.topic") + "), ins AS (INSERT INTO " + s
        + ".delivery " + COLUMNS + " SELECT m.name, e.topic, e.event_id, e.ordering_key, "
        + "e.attributes, e.data FROM m JOIN e ON e.n = m.n ORDER BY m.n, m.name RETURNING 1) "
        + COUNTS;
    // The same with one pack row for the events (the arrays as bound, not taken apart and put
    // together again) and one route_pack row for each route that takes packs, whose done mask
    // marks the events it does not take; rows for the other routes, unnested only when there
    // are any (a one-time filter).
    this.packedSql = "WITH a AS MATERIALIZED (SELECT ?::text[] AS topics, ?::text[] AS "
        + "event_ids, ?::text[] AS keys, ?::text[] AS attributes, ?::bytea[] AS data), "
        + "e AS MATERIALIZED (SELECT u.topic, u.n FROM a, unnest(a.topics) WITH ORDINALITY "
        + "AS u(topic, n)), m AS MATERIALIZED (SELECT e.n, r.name, r.packs FROM e JOIN " + s
        + ".route r ON " + TAKES_TOPIC.formatted("e.topic") + "), ins AS (INSERT INTO " + s
        + ".delivery " + COLUMNS + " SELECT m.name, u.topic, u.event_id, u.ordering_key, "
        + "u.attributes, u.data FROM m JOIN (SELECT u.* FROM a, unnest(a.topics, a.event_ids, "
        + "a.keys, a.attributes, a.data) WITH ORDINALITY AS u(topic, event_id, ordering_key, "
        + "attributes, data, n) WHERE EXISTS (SELECT 1 FROM m WHERE NOT m.packs)) u "
        + "ON u.n = m.n WHERE NOT m.packs ORDER BY m.n, m.name RETURNING 1), "
        + "p AS (INSERT INTO " + s + ".pack (topics, event_ids, keys, attributes, data) "
        + "SELECT a.topics, a.event_ids, a.keys, a.attributes, a.data FROM a WHERE EXISTS ("
        + "SELECT 1 FROM m WHERE m.packs) RETURNING id), "
        + "rp AS (INSERT INTO " + s + ".route_pack (route, pack_id, remaining, done) "
        + "SELECT pr.name, p.id, pr.taken, CASE WHEN pr.taken = (SELECT count(*) FROM e) "
        + "THEN repeat('0', pr.taken)::varbit ELSE (SELECT string_agg(CASE WHEN m.n IS NULL "
        + "THEN '1' ELSE '0' END, '' ORDER BY e.n) FROM e LEFT JOIN m ON m.n = e.n AND "
        + "m.name = pr.name)::varbit END FROM p, (SELECT m.name, count(*)::int AS taken FROM m "
        + "WHERE m.packs GROUP BY m.name) pr ORDER BY pr.name RETURNING 1) "
        + COUNTS;
    // One event in a caller's transaction: PostgreSQL keeps a custom plan for the statement
    // above and plans it again on every execution; a plain INSERT ... SELECT over the routes is
    // cheap to plan, and carries the notification, saving its round trip.
    this.oneNotifyingSql = "WITH ins AS (INSERT INTO " + s + ".delivery " + COLUMNS
        + " SELECT r.name, ?::text, ?::text, ?::text, ?::text, ?::bytea FROM " + s
        + ".route r WHERE " + TAKES_TOPIC.formatted("?::text") + " ORDER BY r.name RETURNING 1) "
        + "SELECT n, CASE WHEN n > 0 THEN pg_notify(?, '') END FROM (SELECT count(*)::int AS n "
        + "FROM ins) c";
  }

  /**
   * Writes one event's deliveries, one per route that takes its topic in route order, on a
   * connection inside its transaction, and sends a notification on {@code channel} when there
   * are any (delivered by PostgreSQL at commit); the caller commits.
   *
   * @return how many deliveries were written
   */
  int insertOneAndNotify(Connection c, String topic, Event e, String channel)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(oneNotifyingSql)) {
      ps.setString(1, topic);
      ps.setString(2, e.id());
      ps.setString(3, e.key().orElse(null));
      ps.setString(4, EventAttributes.encode(e));
      ps.setBytes(5, e.data());
      ps.setString(6, topic);
      ps.setString(7, channel);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Queues a publish for the next group commit.
   *
   * @return how many deliveries were written, once they are committed
   */
  CompletableFuture<Integer> submit(String topic, List<Event> events) {
    CompletableFuture<Integer> future = new CompletableFuture<>();
    if (closed) {
      future.completeExceptionally(new RelaybusException("Publishing " + events.size()
          + " event(s) to topic '" + topic + "' failed: the webhook outbox is closed; none was "
          + "stored"));
      return future;
    }
    long bytes = 0;
    for (Event e : events) {
      bytes += e.size();
    }
    ensureStarted();
    queue.add(new Request(topic, events, bytes, future));
    return future;
  }

  /** Writes publishes on a connection inside its transaction; the caller commits. */
  int[] insert(Connection c, List<Request> batch) throws SQLException {
    int count = 0;
    for (Request r : batch) {
      count += r.events().size();
    }
    String[] topics = new String[count];
    String[] ids = new String[count];
    String[] keys = new String[count];
    String[] attributes = new String[count];
    byte[][] data = new byte[count][];
    int i = 0;
    for (Request r : batch) {
      for (Event e : r.events()) {
        topics[i] = r.topic();
        ids[i] = e.id();
        keys[i] = e.key().orElse(null);
        attributes[i] = EventAttributes.encode(e);
        data[i] = e.data();
        i++;
      }
    }
    int[] perEvent = new int[count];
    try (PreparedStatement ps = c.prepareStatement(packs && count >= PACK_MIN_EVENTS
        && count <= PackedIds.MAX_EVENTS ? packedSql : sql)) {
      ps.setArray(1, c.createArrayOf("text", topics));
      ps.setArray(2, c.createArrayOf("text", ids));
      ps.setArray(3, c.createArrayOf("text", keys));
      ps.setArray(4, c.createArrayOf("text", attributes));
      ps.setArray(5, c.createArrayOf("bytea", data));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        java.sql.Array numbers = rs.getArray(1);
        if (numbers != null) {
          Long[] n = (Long[]) numbers.getArray();
          Integer[] k = (Integer[]) rs.getArray(2).getArray();
          for (int j = 0; j < n.length; j++) {
            perEvent[(int) (n[j] - 1)] = k[j];
          }
        }
      }
    }
    int[] perRequest = new int[batch.size()];
    int event = 0;
    for (int r = 0; r < perRequest.length; r++) {
      for (int k = 0; k < batch.get(r).events().size(); k++) {
        perRequest[r] += perEvent[event++];
      }
    }
    return perRequest;
  }

  private void ensureStarted() {
    synchronized (startLock) {
      if (thread == null) {
        thread = new Thread(this::run, "relaybus-webhook-outbox-publisher");
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  private void run() {
    List<Request> batch = new ArrayList<>();
    while (true) {
      Request first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        failPending();
        return;
      }
      if (first == STOP) {
        failPending();
        return;
      }
      batch.clear();
      batch.add(first);
      int events = first.events().size();
      long bytes = first.bytes();
      Request next;
      while ((next = queue.peek()) != null && next != STOP
          && events + next.events().size() <= MAX_EVENTS_PER_TRANSACTION
          && bytes + next.bytes() <= MAX_BYTES_PER_TRANSACTION) {
        batch.add(queue.poll());
        events += next.events().size();
        bytes += next.bytes();
      }
      write(List.copyOf(batch));
    }
  }

  private void write(List<Request> batch) {
    int[] counts;
    try {
      counts = tx.runStatement(c -> insert(c, batch));
    } catch (RuntimeException e) {
      if (batch.size() > 1) {
        // One publish the database refuses must not fail those it was grouped with: the
        // transaction stored nothing, so each is written on its own.
        for (Request r : batch) {
          write(List.of(r));
        }
        return;
      }
      batch.get(0).future().completeExceptionally(e);
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).future().complete(counts[i]);
    }
  }

  private void failPending() {
    Request r;
    while ((r = queue.poll()) != null) {
      if (r != STOP) {
        r.future().completeExceptionally(new RelaybusException("Publishing "
            + r.events().size() + " event(s) to topic '" + r.topic() + "' failed: the webhook "
            + "outbox is closed; none was stored"));
      }
    }
  }

  /** Writes what is queued, then stops the writer. */
  @Override
  public void close() {
    closed = true;
    Thread t;
    synchronized (startLock) {
      t = thread;
    }
    if (t == null) {
      return;
    }
    queue.add(STOP);
    try {
      t.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    t.interrupt();
    failPending(); // a publish that raced with close
  }
}
