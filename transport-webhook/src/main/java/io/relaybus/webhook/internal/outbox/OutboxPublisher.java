package io.relaybus.webhook.internal.outbox;

import io.relaybus.Event;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes publishes into the JDBC outbox with group commit, as the PostgreSQL transport's publish
 * pipeline does (ADR 0010): one thread takes every publish waiting in its queue (up to
 * {@value #MAX_EVENTS_PER_TRANSACTION} events and {@value #MAX_BYTES_PER_TRANSACTION} bytes) and
 * writes them with one statement in auto-commit (atomic on its own: one round trip, no
 * {@code BEGIN}/{@code COMMIT}), so many concurrent single publishes and batches cost one
 * commit. A publish's future completes after that commit: its deliveries are durable.
 *
 * <p>Ordered endpoints and per-key groups send by delivery id, so a group with a route that keeps
 * an order is written only when no other statement is in flight: its ids follow every publish
 * submitted before it. Groups of topics no such route takes ({@link UnorderedTopics}) have no
 * order to keep and are written by up to {@code writers} concurrent statements (each checking
 * that in its own snapshot) while the next group forms.
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
  /**
   * A writer finished a statement: wakes the publisher thread, which may be waiting for that to
   * form its next group or to write groups a checked statement handed back.
   */
  private static final Request DONE = new Request(null, List.of(), 0, null);

  /** A group of publishes and when it was taken (the {@code number}th). */
  private record Taken(long number, List<Request> requests) {}

  /** The delivery columns a publish writes, in the order both statements give them. */
  private static final String COLUMNS = "(route, topic, event_id, ordering_key, attributes, data)";
  /** No route of the group keeps an order: every one takes packs (ADR 0020). */
  private static final String UNORDERED = "NOT EXISTS (SELECT 1 FROM m WHERE NOT m.packs)";
  /** Whether route {@code r} takes the topic {@code %s}: it names the topic, or {@code *}. */
  private static final String TAKES_TOPIC = "%s = ANY(r.topics) OR '*' = ANY(r.topics)";

  private final JdbcTransactions tx;
  private final String sql;
  private final String packedSql;
  private final String checkedSql;
  private final String checkedPackedSql;
  private final boolean packs;
  private final int writers;
  /** Writers free to take a group: acquired for each group, all of them for an ordered one. */
  private final Semaphore slots;
  private final UnorderedTopics unorderedTopics;
  /** Groups a checked statement did not write, in the order they were taken. */
  private final ConcurrentLinkedQueue<Taken> redo = new ConcurrentLinkedQueue<>();
  private final String oneNotifyingSql;
  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Object startLock = new Object();
  private Thread thread;
  private ExecutorService pool;
  private volatile boolean closed;

  OutboxPublisher(JdbcTransactions tx, String schema) {
    this(tx, schema, true, 1);
  }

  /**
   * A publisher that writes packs ({@code packs}) or only rows, with up to {@code writers}
   * statements in flight for topics no route keeps an order for.
   */
  OutboxPublisher(JdbcTransactions tx, String schema, boolean packs, int writers) {
    this.tx = tx;
    this.packs = packs;
    this.writers = writers;
    this.slots = new Semaphore(writers);
    this.unorderedTopics = new UnorderedTopics(tx, schema);
    this.sql = rowsSql(schema, false);
    this.checkedSql = rowsSql(schema, true);
    this.packedSql = packedSql(schema, false);
    this.checkedPackedSql = packedSql(schema, true);
    String s = schema;
    // One event in a caller's transaction: PostgreSQL keeps a custom plan for the group
    // statements and plans them again on every execution; a plain INSERT ... SELECT over the
    // routes is cheap to plan, and carries the notification, saving its round trip.
    this.oneNotifyingSql = "WITH ins AS (INSERT INTO " + s + ".delivery " + COLUMNS
        + " SELECT r.name, ?::text, ?::text, ?::text, ?::text, ?::bytea FROM " + s
        + ".route r WHERE " + TAKES_TOPIC.formatted("?::text") + " ORDER BY r.name RETURNING 1) "
        + "SELECT n, CASE WHEN n > 0 THEN pg_notify(?, '') END FROM (SELECT count(*)::int AS n "
        + "FROM ins) c";
  }

  /**
   * The statement that writes a group as delivery rows. {@code checked}: only when no route of
   * its topics keeps an order (the third column tells whether one does, and then nothing is
   * written).
   */
  private static String rowsSql(String s, boolean checked) {
    // Rows are inserted in (event, route) order so that delivery ids follow publish order.
    return "WITH e AS MATERIALIZED (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], "
        + "?::text[], ?::bytea[]) WITH ORDINALITY AS e(topic, event_id, ordering_key, "
        + "attributes, data, n)), m AS MATERIALIZED (SELECT e.n, r.name, r.packs FROM e JOIN " + s
        + ".route r ON " + TAKES_TOPIC.formatted("e.topic") + "), ins AS (INSERT INTO " + s
        + ".delivery " + COLUMNS + " SELECT m.name, e.topic, e.event_id, e.ordering_key, "
        + "e.attributes, e.data FROM m JOIN e ON e.n = m.n" + (checked ? " WHERE " + UNORDERED
        : "") + " ORDER BY m.n, m.name RETURNING 1) " + counts(checked);
  }

  /**
   * The statement that writes a group as one pack for the routes that take packs (the arrays as
   * bound, not taken apart and put together again) and one route_pack row for each, whose done
   * mask marks the events it does not take; rows for the other routes, unnested only when there
   * are any (a one-time filter). {@code checked} as for {@link #rowsSql}.
   */
  private static String packedSql(String s, boolean checked) {
    String unordered = checked ? " AND " + UNORDERED : "";
    return "WITH a AS MATERIALIZED (SELECT ?::text[] AS topics, ?::text[] AS "
        + "event_ids, ?::text[] AS keys, ?::text[] AS attributes, ?::bytea[] AS data), "
        + "e AS MATERIALIZED (SELECT u.topic, u.n FROM a, unnest(a.topics) WITH ORDINALITY "
        + "AS u(topic, n)), m AS MATERIALIZED (SELECT e.n, r.name, r.packs FROM e JOIN " + s
        + ".route r ON " + TAKES_TOPIC.formatted("e.topic") + "), ins AS (INSERT INTO " + s
        + ".delivery " + COLUMNS + " SELECT m.name, u.topic, u.event_id, u.ordering_key, "
        + "u.attributes, u.data FROM m JOIN (SELECT u.* FROM a, unnest(a.topics, a.event_ids, "
        + "a.keys, a.attributes, a.data) WITH ORDINALITY AS u(topic, event_id, ordering_key, "
        + "attributes, data, n) WHERE EXISTS (SELECT 1 FROM m WHERE NOT m.packs)) u "
        + "ON u.n = m.n WHERE NOT m.packs" + unordered + " ORDER BY m.n, m.name RETURNING 1), "
        + "p AS (INSERT INTO " + s + ".pack (topics, event_ids, keys, attributes, data) "
        + "SELECT a.topics, a.event_ids, a.keys, a.attributes, a.data FROM a WHERE EXISTS ("
        + "SELECT 1 FROM m WHERE m.packs)" + unordered + " RETURNING id), "
        + "rp AS (INSERT INTO " + s + ".route_pack (route, pack_id, remaining, done) "
        + "SELECT pr.name, p.id, pr.taken, CASE WHEN pr.taken = (SELECT count(*) FROM e) "
        + "THEN repeat('0', pr.taken)::varbit ELSE (SELECT string_agg(CASE WHEN m.n IS NULL "
        + "THEN '1' ELSE '0' END, '' ORDER BY e.n) FROM e LEFT JOIN m ON m.n = e.n AND "
        + "m.name = pr.name)::varbit END FROM p, (SELECT m.name, count(*)::int AS taken FROM m "
        + "WHERE m.packs GROUP BY m.name) pr ORDER BY pr.name RETURNING 1) " + counts(checked);
  }

  /**
   * How many deliveries each event got, as one row of two arrays (event number, count) rather
   * than a row per event: the events without any are left out. The third column: whether a
   * route of the group keeps an order (only a checked statement asks).
   */
  private static String counts(boolean checked) {
    return "SELECT array_agg(n), array_agg(k), " + (checked ? "NOT " + UNORDERED : "false")
        + " FROM (SELECT n, count(*)::int AS k FROM m GROUP BY n) c";
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
    return insert(c, batch, false);
  }

  /**
   * Writes publishes as {@link #insert(Connection, List)} does, but only when no route of their
   * topics keeps an order, in this statement's snapshot.
   *
   * @return how many deliveries each publish got, or {@code null} when a route keeps an order
   *     and nothing was written
   */
  int[] insertUnordered(Connection c, List<Request> batch) throws SQLException {
    return insert(c, batch, true);
  }

  private int[] insert(Connection c, List<Request> batch, boolean checked) throws SQLException {
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
    boolean packed = packs && count >= PACK_MIN_EVENTS && count <= PackedIds.MAX_EVENTS;
    try (PreparedStatement ps = c.prepareStatement(packed
        ? (checked ? checkedPackedSql : packedSql) : (checked ? checkedSql : sql))) {
      ps.setArray(1, c.createArrayOf("text", topics));
      ps.setArray(2, c.createArrayOf("text", ids));
      ps.setArray(3, c.createArrayOf("text", keys));
      ps.setArray(4, c.createArrayOf("text", attributes));
      ps.setArray(5, c.createArrayOf("bytea", data));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(3)) {
          return null;
        }
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
        if (writers > 1) {
          AtomicInteger n = new AtomicInteger();
          pool = Executors.newFixedThreadPool(writers, r -> {
            Thread t = new Thread(r, "relaybus-webhook-outbox-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
        }
        thread = new Thread(this::run, "relaybus-webhook-outbox-publisher");
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  /**
   * Takes publishes in the order they were submitted and forms groups of them. A group whose
   * topics no route keeps an order for goes to a free writer and is written with a checked
   * statement while the next one forms (a small one with nothing else in flight is written on
   * this thread); any other group waits until no statement is in flight
   * and is written on this thread, after the groups a checked statement refused (in the order
   * they were taken). So every group a route keeps an order for is written after every group
   * taken before it, and delivery ids follow publish order for those routes.
   */
  private void run() {
    Deque<Request> held = new ArrayDeque<>();
    long taken = 0;
    while (true) {
      slots.acquireUninterruptibly();
      // While another statement is in flight, a group waits until it is large enough to be
      // worth a statement of its own (a statement per few events costs the database more than
      // the overlap gains) or the statement is done.
      for (boolean wait = held.isEmpty(); ; wait = true) {
        take(held, wait);
        if (!redo.isEmpty()) {
          whenIdle(() -> { });
        }
        if (!held.isEmpty() && (slots.availablePermits() == writers - 1
            || atLeast(held, PACK_MIN_EVENTS))) {
          break;
        }
      }
      if (held.peek() == STOP) {
        whenIdle(() -> { });
        slots.release();
        stop(held);
        return;
      }
      boolean unordered = writers > 1 && unordered(held);
      List<Request> batch = new ArrayList<>();
      int events = 0;
      long bytes = 0;
      for (Request next; (next = held.peek()) != null && next != STOP
          && (batch.isEmpty() || events + next.events().size() <= MAX_EVENTS_PER_TRANSACTION
          && bytes + next.bytes() <= MAX_BYTES_PER_TRANSACTION)
          && (!unordered || Boolean.TRUE.equals(unorderedTopics.unordered(next.topic()))); ) {
        batch.add(held.poll());
        events += next.events().size();
        bytes += next.bytes();
        Request after = held.peek();
        if (writers > 1 && !unordered && after != null && after != STOP
            && Boolean.TRUE.equals(unorderedTopics.unordered(after.topic()))) {
          break; // the unordered publishes after it go to the writers
        }
      }
      Taken group = new Taken(taken++, List.copyOf(batch));
      if (unordered && events < PACK_MIN_EVENTS && slots.availablePermits() == writers - 1) {
        // Alone and small (the latency path): written here, saving the hand-off to a writer.
        writeUnordered(group);
        if (!redo.isEmpty()) {
          whenIdle(() -> { });
        }
        slots.release();
      } else if (unordered) {
        pool.execute(() -> {
          try {
            writeUnordered(group);
          } finally {
            slots.release();
            queue.add(DONE);
          }
        });
      } else {
        whenIdle(() -> write(group.requests()));
        slots.release();
      }
    }
  }

  /**
   * Moves what is queued to {@code held}, first waiting for something when {@code wait}; a
   * statement's completion ({@link #DONE}) ends the wait without adding anything.
   */
  private void take(Deque<Request> held, boolean wait) {
    if (wait) {
      try {
        Request r = queue.take();
        if (r != DONE) {
          held.add(r);
        }
      } catch (InterruptedException e) {
        held.addFirst(STOP);
        return;
      }
    }
    for (Request r; (r = queue.poll()) != null; ) {
      if (r != DONE) {
        held.add(r);
      }
    }
  }

  /** Whether the publishes held before any stop hold at least {@code n} events. */
  private static boolean atLeast(Deque<Request> held, int n) {
    int events = 0;
    for (Request r : held) {
      if (r == STOP) {
        return true;
      }
      events += r.events().size();
      if (events >= n) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the first held publish's topic is believed unordered, looking up the topics not
   * known among the publishes the next group could take.
   */
  private boolean unordered(Deque<Request> held) {
    Set<String> unknown = new LinkedHashSet<>();
    int events = 0;
    for (Request r : held) {
      if (r == STOP || events > MAX_EVENTS_PER_TRANSACTION) {
        break;
      }
      events += r.events().size();
      if (unorderedTopics.unordered(r.topic()) == null) {
        unknown.add(r.topic());
      }
    }
    unorderedTopics.lookUp(unknown);
    return Boolean.TRUE.equals(unorderedTopics.unordered(held.peek().topic()));
  }

  /**
   * Runs work once no statement is in flight (this thread holds one writer already), after
   * writing the groups checked statements refused.
   */
  private void whenIdle(Runnable work) {
    slots.acquireUninterruptibly(writers - 1);
    try {
      List<Taken> refused = new ArrayList<>();
      for (Taken t; (t = redo.poll()) != null; ) {
        refused.add(t);
      }
      refused.sort(Comparator.comparingLong(Taken::number));
      for (Taken t : refused) {
        write(t.requests());
      }
      work.run();
    } finally {
      slots.release(writers - 1);
    }
  }

  /**
   * Writes a group with a checked statement; when a route of its topics keeps an order after
   * all, or the statement fails, the group is handed back to be written in order.
   */
  private void writeUnordered(Taken group) {
    int[] counts;
    try {
      counts = tx.runStatement(c -> insertUnordered(c, group.requests()));
      if (counts == null) {
        unorderedTopics.keepsOrder(UnorderedTopics.topics(group.requests()));
      }
    } catch (RuntimeException e) {
      counts = null; // written again in order, publish by publish if need be
    }
    if (counts == null) {
      redo.add(group);
      return;
    }
    for (int i = 0; i < counts.length; i++) {
      group.requests().get(i).future().complete(counts[i]);
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

  /** After the statements in flight and what they handed back: fails what came after. */
  private void stop(Deque<Request> held) {
    if (pool != null) {
      pool.shutdown();
    }
    held.forEach(OutboxPublisher::fail);
    failPending();
  }

  private void failPending() {
    for (Request r; (r = queue.poll()) != null; ) {
      fail(r);
    }
  }

  private static void fail(Request r) {
    if (r != STOP && r != DONE) {
      r.future().completeExceptionally(new RelaybusException("Publishing "
          + r.events().size() + " event(s) to topic '" + r.topic() + "' failed: the webhook "
          + "outbox is closed; none was stored"));
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
