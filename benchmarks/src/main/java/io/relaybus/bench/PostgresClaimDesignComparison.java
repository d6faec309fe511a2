package io.relaybus.bench;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The two designs of ADR 0005, in raw JDBC on one embedded PostgreSQL 17 (or the server of
 * {@code RELAYBUS_BENCH_POSTGRES_URL}), for 1 and 4 consumer groups:
 *
 * <ul>
 *   <li><b>A, per-group delivery rows</b>: a publish transaction inserts 100 event rows and one
 *       delivery row per event per group; each group's consumers claim batches of 100 with
 *       {@code UPDATE .. SET status = in_progress WHERE id IN (SELECT .. FOR UPDATE SKIP LOCKED
 *       LIMIT 100) RETURNING}, joined to the events for the payload, then mark them complete
 *       with one {@code UPDATE .. WHERE id = ANY(?)}.</li>
 *   <li><b>B, append-only log</b>: a publish transaction inserts 100 event rows; each group's
 *       reader selects {@code id > cursor ORDER BY id LIMIT 100} and updates its cursor row once
 *       per batch.</li>
 * </ul>
 *
 * <p>Publishing runs first (no consumer), then every group drains concurrently. For each phase:
 * events/s, WAL bytes ({@code pg_wal_lsn_diff} of {@code pg_current_wal_lsn()} around the phase,
 * after a {@code CHECKPOINT}), and the rows inserted/updated (counted by the program). B here has
 * no partitions, leases or the transport's {@code txid < xmin} rule: it is the design's floor,
 * as A is.
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.PostgresClaimDesignComparison
 *     [--events 100000] [--consumers 1]
 * </pre>
 */
public final class PostgresClaimDesignComparison {
  private static final int BATCH = 100;

  private final PostgresServer server;
  private final byte[] payload = Payloads.json(Payloads.SIZE);

  private PostgresClaimDesignComparison(PostgresServer server) {
    this.server = server;
  }

  /**
   * Runs A and B for 1 and 4 groups and prints a Markdown table.
   *
   * @param args {@code --events N} (default 100000), {@code --consumers N} per group of A
   *     (default 1)
   * @throws Exception when a step fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].substring(2), args[i + 1]);
    }
    int events = Integer.parseInt(opts.getOrDefault("events", "100000"));
    int consumers = Integer.parseInt(opts.getOrDefault("consumers", "1"));
    PostgresClaimDesignComparison c = new PostgresClaimDesignComparison(PostgresServer.get());
    List<String> rows = new ArrayList<>();
    // warm-up of both designs (JIT, server caches), not reported
    c.run('A', Math.min(events, 20_000), 1, consumers);
    c.run('B', Math.min(events, 20_000), 1, consumers);
    for (int groups : new int[] {1, 4}) {
      rows.add(c.run('A', events, groups, consumers));
      rows.add(c.run('B', events, groups, consumers));
    }
    System.out.println();
    System.out.println("Server: " + c.server.description() + "; " + events + " events of "
        + Payloads.SIZE + " bytes, publish in transactions of " + BATCH + " events, consumers "
        + "per group: A " + consumers + ", B 1");
    System.out.println();
    System.out.println("| design | groups | publish events/s | publish WAL MiB | publish rows "
        + "written | consume events/s per group | consume WAL MiB | consume rows written "
        + "(inserted+updated) | WAL bytes/event total | tables+indexes MiB after |");
    System.out.println("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    rows.forEach(System.out::println);
    System.exit(0);
  }

  private String run(char design, int events, int groups, int consumers) throws Exception {
    try (Connection c = server.connect(); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS claim_bench CASCADE");
      s.execute("CREATE SCHEMA claim_bench");
      if (design == 'A') {
        s.execute("CREATE TABLE claim_bench.events (id bigint GENERATED ALWAYS AS IDENTITY "
            + "PRIMARY KEY, payload bytea NOT NULL, created timestamptz NOT NULL DEFAULT now())");
        s.execute("CREATE TABLE claim_bench.deliveries (id bigint GENERATED ALWAYS AS IDENTITY "
            + "PRIMARY KEY, event_id bigint NOT NULL, grp text NOT NULL, status smallint NOT NULL "
            + "DEFAULT 0, claimed_at timestamptz)");
        s.execute("CREATE INDEX deliveries_pending ON claim_bench.deliveries (grp, id) "
            + "WHERE status = 0");
      } else {
        s.execute("CREATE TABLE claim_bench.events (id bigint GENERATED ALWAYS AS IDENTITY "
            + "PRIMARY KEY, payload bytea NOT NULL, created timestamptz NOT NULL DEFAULT now())");
        s.execute("CREATE TABLE claim_bench.cursors (grp text PRIMARY KEY, last_id bigint "
            + "NOT NULL)");
        for (int g = 0; g < groups; g++) {
          s.execute("INSERT INTO claim_bench.cursors VALUES ('g" + g + "', 0)");
        }
      }
      s.execute("CHECKPOINT");
    }
    String[] groupNames = new String[groups];
    for (int g = 0; g < groups; g++) {
      groupNames[g] = "g" + g;
    }
    // ---- publish
    long walStart = wal();
    long start = System.nanoTime();
    try (Connection c = server.connect()) {
      c.setAutoCommit(false);
      String sql = design == 'A'
          ? "WITH e AS (INSERT INTO claim_bench.events (payload) SELECT ? FROM "
              + "generate_series(1, ?) RETURNING id) INSERT INTO claim_bench.deliveries "
              + "(event_id, grp) SELECT e.id, g FROM e CROSS JOIN unnest(?::text[]) AS g"
          : "INSERT INTO claim_bench.events (payload) SELECT ? FROM generate_series(1, ?)";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        Array names = c.createArrayOf("text", groupNames);
        for (int sent = 0; sent < events; sent += BATCH) {
          ps.setBytes(1, payload);
          ps.setInt(2, Math.min(BATCH, events - sent));
          if (design == 'A') {
            ps.setArray(3, names);
          }
          ps.executeUpdate();
          c.commit();
        }
      }
    }
    double publishRate = events * 1e9 / (System.nanoTime() - start);
    long publishWal = wal() - walStart;
    long publishRows = design == 'A' ? (long) events * (1 + groups) : events;
    checkpoint();
    // ---- consume
    walStart = wal();
    AtomicLong rowsWritten = new AtomicLong();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    start = System.nanoTime();
    for (String grp : groupNames) {
      if (design == 'A') {
        AtomicLong left = new AtomicLong(events);
        for (int k = 0; k < consumers; k++) {
          workers.add(CompletableFuture.runAsync(() -> consumeA(grp, left, rowsWritten)));
        }
      } else {
        workers.add(CompletableFuture.runAsync(() -> consumeB(grp, events, rowsWritten)));
      }
    }
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0]))
        .get(600, TimeUnit.SECONDS);
    double consumeRate = events * 1e9 / (System.nanoTime() - start);
    long consumeWal = wal() - walStart;
    long size;
    try (Connection c = server.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'claim_bench' "
            + "AND c.relkind = 'r'")) {
      rs.next();
      size = rs.getLong(1);
    }
    String row = String.format(Locale.ROOT,
        "| %s | %d | %,.0f | %.1f | %,d | %,.0f | %.1f | %,d | %,.0f | %.1f |",
        design == 'A' ? "A delivery rows + SKIP LOCKED" : "B append-only log + cursor", groups,
        publishRate, publishWal / 1048576.0, publishRows, consumeRate, consumeWal / 1048576.0,
        rowsWritten.get(), (publishWal + consumeWal) / (double) events, size / 1048576.0);
    System.err.println("[claim-design] " + row);
    return row;
  }

  private void consumeA(String grp, AtomicLong left, AtomicLong rowsWritten) {
    try (Connection c = server.connect()) {
      c.setAutoCommit(true);
      try (PreparedStatement claim = c.prepareStatement("WITH c AS (UPDATE claim_bench.deliveries"
          + " SET status = 1, claimed_at = now() WHERE id IN (SELECT id FROM "
          + "claim_bench.deliveries WHERE grp = ? AND status = 0 ORDER BY id LIMIT " + BATCH
          + " FOR UPDATE SKIP LOCKED) RETURNING id, event_id) SELECT c.id, e.payload FROM c "
          + "JOIN claim_bench.events e ON e.id = c.event_id");
          PreparedStatement complete = c.prepareStatement("UPDATE claim_bench.deliveries "
              + "SET status = 2 WHERE id = ANY(?)")) {
        claim.setString(1, grp);
        while (left.get() > 0) {
          List<Long> ids = new ArrayList<>(BATCH);
          long bytes = 0;
          try (ResultSet rs = claim.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
              bytes += rs.getBytes(2).length;
            }
          }
          if (ids.isEmpty()) {
            Thread.sleep(1);
            continue;
          }
          complete.setArray(1, c.createArrayOf("bigint", ids.toArray()));
          complete.executeUpdate();
          rowsWritten.addAndGet(2L * ids.size());
          left.addAndGet(-ids.size());
          if (bytes < 0) {
            throw new IllegalStateException();
          }
        }
      }
    } catch (SQLException e) {
      throw new BenchmarkException("A consumer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void consumeB(String grp, int events, AtomicLong rowsWritten) {
    try (Connection c = server.connect();
        PreparedStatement read = c.prepareStatement("SELECT id, payload FROM claim_bench.events "
            + "WHERE id > ? ORDER BY id LIMIT " + BATCH);
        PreparedStatement cursor = c.prepareStatement("UPDATE claim_bench.cursors SET last_id = ?"
            + " WHERE grp = ?")) {
      long last = 0;
      long done = 0;
      cursor.setString(2, grp);
      while (done < events) {
        read.setLong(1, last);
        int n = 0;
        long bytes = 0;
        try (ResultSet rs = read.executeQuery()) {
          while (rs.next()) {
            last = rs.getLong(1);
            bytes += rs.getBytes(2).length;
            n++;
          }
        }
        if (n == 0) {
          continue;
        }
        cursor.setLong(1, last);
        cursor.executeUpdate();
        rowsWritten.incrementAndGet();
        done += n;
        if (bytes < 0) {
          throw new IllegalStateException();
        }
      }
    } catch (SQLException e) {
      throw new BenchmarkException("B consumer: " + e.getMessage(), e);
    }
  }

  private long wal() throws SQLException {
    try (Connection c = server.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void checkpoint() throws SQLException {
    try (Connection c = server.connect(); Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
    }
  }
}
