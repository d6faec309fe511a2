package io.relaybus.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Raw JDBC on the same PostgreSQL server as the Relaybus side: what an application would write
 * without the library.
 *
 * <ul>
 *   <li><b>Publish, single:</b> one row per transaction: {@code INSERT} + {@code pg_notify} +
 *       {@code COMMIT}. Publishes run on {@code raw.publishers} threads (default 8), each with its
 *       own connection, so the raw side has the same concurrency as the Relaybus side, whose
 *       window of outstanding futures keeps its writers busy.</li>
 *   <li><b>Publish, batch:</b> the batch's rows in one {@code executeBatch} (driver option
 *       {@code reWriteBatchedInserts=true}, as the transport uses), one {@code pg_notify}, one
 *       {@code COMMIT}, on the same publisher threads.</li>
 *   <li><b>Consume:</b> one connection {@code LISTEN}s on the session's channel and
 *       {@code SELECT}s rows with {@code id > last} ({@code raw.fetch-size}, default 1000, per
 *       query); the position is tracked in memory. Because concurrent publishers commit
 *       identities out of order, the reader only advances over a contiguous prefix of ids and
 *       waits (polling every 1 ms, at most 1 s) for a missing id. One reader thread calls the
 *       listener directly: no consumer group, no acknowledgement, no partitions, no lease.</li>
 * </ul>
 *
 * <p>Each session has its own table {@code raw_bench.t_N} and channel, dropped on close.
 */
public final class PostgresRawBaseline implements RawBaseline {
  /** Publisher threads (connections). */
  public static final String PUBLISHERS = "raw.publishers";
  /** Rows per consumer SELECT. */
  public static final String FETCH_SIZE = "raw.fetch-size";
  private static final Set<String> KEYS = Set.of(PUBLISHERS, FETCH_SIZE);
  private static final AtomicInteger TABLES = new AtomicInteger();

  /** Creates the baseline. */
  public PostgresRawBaseline() {}

  @Override
  public String description() {
    return "raw JDBC: INSERT + pg_notify per transaction (1 row or a batch), "
        + "LISTEN + SELECT id > last on one connection";
  }

  @Override
  public MessagingSession open(SessionSpec spec) {
    Map<String, String> settings = spec.settings();
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(key + " is not a setting of the postgres raw "
            + "baseline; its settings are: " + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    int publishers = positive(settings, PUBLISHERS, 8);
    int fetch = positive(settings, FETCH_SIZE, 1000);
    return new RawSession(PostgresServer.get(), spec, publishers, fetch);
  }

  private static int positive(Map<String, String> settings, String key, int dflt) {
    String v = settings.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(key + " must be a positive integer, got '" + v + "'");
  }

  /** One table, its publisher threads and, once started, its reader. */
  static final class RawSession implements MessagingSession {
    private final PostgresServer server;
    private final String table;
    private final String channel;
    private final byte[] payload;
    private final Duration timeout;
    private final int fetch;
    private final PendingPublishes pending;
    private final ExecutorService pool;
    private final List<Connection> connections = new ArrayList<>();
    private final ThreadLocal<Publisher> publisher;
    private volatile boolean closed;
    private Thread reader;

    RawSession(PostgresServer server, SessionSpec spec, int publishers, int fetch) {
      this.server = server;
      int n = TABLES.incrementAndGet();
      this.table = "raw_bench.t_" + n;
      this.channel = "rawbench_" + n;
      this.payload = spec.payload();
      this.timeout = spec.timeout();
      this.fetch = fetch;
      this.pending = new PendingPublishes(spec.publishWindow(), spec.timeout());
      try (Connection c = server.connect(); Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA IF NOT EXISTS raw_bench");
        s.execute("CREATE TABLE " + table + " (id bigint GENERATED ALWAYS AS IDENTITY "
            + "PRIMARY KEY, stamp bigint NOT NULL, payload bytea NOT NULL)");
      } catch (SQLException e) {
        throw new BenchmarkException("cannot create " + table + ": " + e.getMessage(), e);
      }
      AtomicInteger threads = new AtomicInteger();
      this.pool = Executors.newFixedThreadPool(publishers, r -> {
        Thread t = new Thread(r, "bench-raw-pg-publisher-" + n + "-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.publisher = ThreadLocal.withInitial(this::newPublisher);
    }

    private Publisher newPublisher() {
      try {
        Connection c = server.connect();
        c.unwrap(PGConnection.class).setPrepareThreshold(1);
        synchronized (connections) {
          connections.add(c);
        }
        return new Publisher(c, table, channel);
      } catch (SQLException e) {
        throw new BenchmarkException("cannot connect: " + e.getMessage(), e);
      }
    }

    @Override
    public void startConsumers(ConsumerSpec spec, StampListener listener) {
      Connection c;
      try {
        c = server.connect();
        synchronized (connections) {
          connections.add(c);
        }
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + channel);
        }
      } catch (SQLException e) {
        throw new BenchmarkException("cannot LISTEN: " + e.getMessage(), e);
      }
      reader = new Thread(() -> read(c, listener), "bench-raw-pg-reader-" + channel);
      reader.setDaemon(true);
      reader.start();
    }

    private void read(Connection c, StampListener listener) {
      PGConnection pg;
      long last = 0;
      long gapSince = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT id, stamp FROM " + table
          + " WHERE id > ? ORDER BY id LIMIT " + fetch)) {
        pg = c.unwrap(PGConnection.class);
        while (!closed) {
          ps.setLong(1, last);
          int rows = 0;
          boolean gap = false;
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              long id = rs.getLong(1);
              if (id != last + 1) {
                long now = System.nanoTime();
                if (gapSince == 0) {
                  gapSince = now;
                }
                if (now - gapSince < TimeUnit.SECONDS.toNanos(1)) {
                  gap = true; // an earlier id may still commit: wait for it
                  break;
                }
              }
              gapSince = 0;
              last = id;
              rows++;
              listener.received(rs.getLong(2));
            }
          }
          if (gap) {
            pg.getNotifications(1);
          } else if (rows < fetch) {
            PGNotification[] ns = pg.getNotifications(100);
            if (ns == null) {
              continue;
            }
          }
        }
      } catch (SQLException e) {
        if (!closed) {
          System.err.println("[postgres] raw reader failed: " + e);
        }
      }
    }

    @Override
    public void publish(long stampNanos) {
      pending.add(CompletableFuture.runAsync(() -> publisher.get().publish(stampNanos, payload, 1),
          pool));
    }

    @Override
    public void publishBatch(long stampNanos, int count) {
      pending.add(CompletableFuture.runAsync(
          () -> publisher.get().publish(stampNanos, payload, count), pool));
    }

    @Override
    public void awaitPublished(Duration limit) {
      pending.joinAll(limit);
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      pool.shutdown();
      try {
        pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (reader != null) {
          reader.join(timeout.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (connections) {
        for (Connection c : connections) {
          try {
            c.close();
          } catch (SQLException e) {
            // closing anyway
          }
        }
        connections.clear();
      }
      try (Connection c = server.connect(); Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + table);
      } catch (SQLException e) {
        System.err.println("[postgres] cannot drop " + table + ": " + e.getMessage());
      }
    }
  }

  /** One publisher connection with its prepared statements. */
  static final class Publisher {
    private final Connection c;
    private final PreparedStatement insert;
    private final PreparedStatement notify;

    Publisher(Connection c, String table, String channel) throws SQLException {
      this.c = c;
      c.setAutoCommit(false);
      this.insert = c.prepareStatement("INSERT INTO " + table + " (stamp, payload) VALUES (?, ?)");
      this.notify = c.prepareStatement("SELECT pg_notify('" + channel + "', '')");
    }

    void publish(long stamp, byte[] payload, int count) {
      try {
        if (count == 1) {
          insert.setLong(1, stamp);
          insert.setBytes(2, payload);
          insert.executeUpdate();
        } else {
          for (int i = 0; i < count; i++) {
            insert.setLong(1, stamp);
            insert.setBytes(2, payload);
            insert.addBatch();
          }
          insert.executeBatch();
        }
        notify.execute();
        c.commit();
      } catch (SQLException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // reported below
        }
        throw new BenchmarkException("raw publish failed: " + e.getMessage(), e);
      }
    }
  }
}
