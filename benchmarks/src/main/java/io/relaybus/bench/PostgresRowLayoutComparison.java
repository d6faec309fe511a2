package io.relaybus.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.postgresql.PGConnection;

/**
 * How fast one connection stores batches of 100 events in different row layouts, in raw JDBC on
 * one embedded PostgreSQL 17 (or the server of {@code RELAYBUS_BENCH_POSTGRES_URL}): the
 * measurements behind ADR 0012. Every layout gets the same events (8 partitions, the
 * benchmark's 200-byte JSON, a fresh UUID id, source, type, time, content type) and runs for
 * {@code --seconds} per round, layouts alternating, {@code --rounds} rounds.
 *
 * <ul>
 *   <li><b>raw</b>: the harness's raw baseline ({@link PostgresRawBaseline}): 100 one-row
 *       {@code INSERT}s into a 3-column table as one rewritten JDBC batch, {@code pg_notify},
 *       {@code COMMIT}.</li>
 *   <li><b>events</b>: the transport's statement today (ADR 0010): one {@code INSERT .. SELECT
 *       FROM unnest(arrays)} into {@code events} as the V1 schema creates it (primary key, hash
 *       index on {@code id}, BRIN on {@code published_at}, the two plain-SQL triggers whose
 *       {@code WHEN} is false for this session), auto-commit.</li>
 *   <li><b>events-copy</b>: the same rows with {@code COPY .. FROM STDIN} (text format).</li>
 *   <li><b>packed</b>: one row per partition holding that partition's events as arrays, one per
 *       attribute, and a {@code seqs} array drawn from a sequence (every event keeps its own
 *       position); primary key and BRIN as {@code events}; no index on the ids.
 *       <b>packed-gin</b>: the same table with a GIN index on {@code ids}.</li>
 *   <li><b>packed-blob</b>: one row per partition with the ids as an array and every other
 *       attribute and the data encoded by the client into one {@code bytea}.</li>
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.PostgresRowLayoutComparison
 *     [--seconds 4] [--rounds 3] [--only raw,events,packed]
 * </pre>
 */
public final class PostgresRowLayoutComparison {
  private static final int BATCH = 100;
  private static final int PARTITIONS = 8;
  private static final String SCHEMA = "layout_bench";
  static final List<String> LAYOUTS =
      List.of("raw", "events", "events-copy", "packed", "packed-gin", "packed-blob");
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final byte[] payload = Payloads.json(Payloads.SIZE);
  /** Events written, by table ({@code events} for both events layouts). */
  private final Map<String, Long> written = new LinkedHashMap<>();

  private PostgresRowLayoutComparison() {}

  /**
   * Runs the layouts and prints a Markdown table of events/s and ratios to {@code raw}.
   *
   * @param args {@code --seconds N} per layout and round (default 4), {@code --rounds N}
   *     (default 3), {@code --only a,b} (default: all; {@code raw} always runs)
   * @throws Exception when a step fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].substring(2), args[i + 1]);
    }
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "4"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    List<String> layouts = new ArrayList<>();
    for (String l : opts.getOrDefault("only", String.join(",", LAYOUTS)).split(",")) {
      layouts.add(l.trim());
    }
    run(PostgresServer.get(), layouts, seconds, rounds, System.out);
    System.exit(0);
  }

  /**
   * Measures the layouts (and always {@code raw}), checks that each stored every event it
   * counted, and prints the table.
   *
   * @param server the server
   * @param layouts the layouts to measure
   * @param seconds per layout and round
   * @param rounds rounds
   * @param out where the table goes (progress goes to standard error)
   * @return the rates per layout, one per round
   * @throws SQLException when a statement fails
   * @throws IllegalStateException when a layout stored a different number of events than it
   *     counted
   */
  static Map<String, List<Double>> run(PostgresServer server, List<String> layouts, int seconds,
      int rounds, PrintStream out) throws SQLException {
    List<String> measured = new ArrayList<>(List.of("raw"));
    for (String l : layouts) {
      if (!LAYOUTS.contains(l)) {
        throw new IllegalArgumentException("--only: unknown layout '" + l + "'; known: "
            + String.join(", ", LAYOUTS));
      }
      if (!measured.contains(l)) {
        measured.add(l);
      }
    }
    PostgresRowLayoutComparison c = new PostgresRowLayoutComparison();
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    try (Connection conn = server.connect()) {
      conn.unwrap(PGConnection.class).setPrepareThreshold(1);
      c.createTables(conn);
      for (String layout : measured) { // warm-up, not reported
        c.measure(conn, layout, 1);
      }
      for (int r = 0; r < rounds; r++) {
        for (String layout : measured) {
          double rate = c.measure(conn, layout, seconds);
          rates.computeIfAbsent(layout, k -> new ArrayList<>()).add(rate);
          System.err.printf(Locale.ROOT, "[round %d] %-12s %,.0f events/s%n", r + 1, layout,
              rate);
        }
      }
      c.checkStored(conn);
    }
    out.println();
    out.println("Server: " + server.description() + "; batches of " + BATCH
        + " events over " + PARTITIONS + " partitions, " + Payloads.SIZE + "-byte data, one "
        + "connection, " + seconds + " s per layout and round, " + rounds + " rounds");
    out.println();
    out.println("| layout | events/s (median) | ratio to raw, per round | samples |");
    out.println("|---|--:|---|---|");
    List<Double> raw = rates.get("raw");
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      List<Double> samples = e.getValue();
      StringBuilder ratios = new StringBuilder();
      StringBuilder all = new StringBuilder();
      for (int i = 0; i < samples.size(); i++) {
        ratios.append(i == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.2f",
            samples.get(i) / raw.get(i)));
        all.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f",
            samples.get(i)));
      }
      out.printf(Locale.ROOT, "| %s | %,.0f | %s | %s |%n", e.getKey(), median(samples),
          ratios, all);
    }
    return rates;
  }

  /** Compares the events each table holds with the events written to it. */
  private void checkStored(Connection c) throws SQLException {
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("raw", "SELECT count(*) FROM " + SCHEMA + ".raw");
    queries.put("events", "SELECT count(*) FROM " + SCHEMA + ".events");
    for (String t : List.of("packed", "packed_gin", "packed_blob")) {
      queries.put(t, "SELECT coalesce(sum(cardinality(ids)), 0) FROM " + SCHEMA + "." + t
          + " WHERE cardinality(ids) = cardinality(seqs)");
    }
    for (Map.Entry<String, String> q : queries.entrySet()) {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.getValue())) {
        rs.next();
        long stored = rs.getLong(1);
        long written = this.written.getOrDefault(q.getKey(), 0L);
        if (stored != written) {
          throw new IllegalStateException(q.getKey() + " holds " + stored + " events, "
              + written + " were written");
        }
      }
    }
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private void createTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + SCHEMA);
      s.execute(v1Schema());
      s.execute("SET relaybus.notify = 'off'"); // as the transport's pool sessions
      s.execute("INSERT INTO " + SCHEMA + ".topics (topic, partitions) VALUES ('bench', "
          + PARTITIONS + ")");
      s.execute("CREATE TABLE " + SCHEMA + ".raw (id bigint GENERATED ALWAYS AS IDENTITY "
          + "PRIMARY KEY, stamp bigint NOT NULL, payload bytea NOT NULL)");
      String packed = " (seq bigint GENERATED ALWAYS AS IDENTITY, txid xid8 NOT NULL DEFAULT "
          + "pg_current_xact_id(), topic text NOT NULL, partition int NOT NULL, "
          + "seqs bigint[] NOT NULL, ids text[] NOT NULL, sources text[] NOT NULL, "
          + "types text[] NOT NULL, subjects text[], times timestamptz[] NOT NULL, "
          + "datacontenttypes text[], dataschemas text[], keys text[], headers jsonb[] NOT NULL, "
          + "data bytea[] NOT NULL, published_at timestamptz NOT NULL DEFAULT now(), "
          + "PRIMARY KEY (topic, partition, txid, seq))";
      for (String t : List.of("packed", "packed_gin")) {
        s.execute("CREATE TABLE " + SCHEMA + "." + t + packed);
        s.execute("CREATE INDEX ON " + SCHEMA + "." + t + " USING brin (published_at)");
      }
      s.execute("CREATE INDEX ON " + SCHEMA + ".packed_gin USING gin (ids)");
      s.execute("CREATE TABLE " + SCHEMA + ".packed_blob (seq bigint GENERATED ALWAYS AS "
          + "IDENTITY, txid xid8 NOT NULL DEFAULT pg_current_xact_id(), topic text NOT NULL, "
          + "partition int NOT NULL, seqs bigint[] NOT NULL, ids text[] NOT NULL, "
          + "body bytea NOT NULL, published_at timestamptz NOT NULL DEFAULT now(), "
          + "PRIMARY KEY (topic, partition, txid, seq))");
      s.execute("CREATE INDEX ON " + SCHEMA + ".packed_blob USING brin (published_at)");
    }
  }

  /** The transport's version-1 schema script, from its jar, in {@value #SCHEMA}. */
  private static String v1Schema() {
    String path = "/io/relaybus/postgres/schema/V1.sql";
    try (InputStream in = PostgresRowLayoutComparison.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("Missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", SCHEMA);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private double measure(Connection c, String layout, int seconds) throws SQLException {
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long events = 0;
    while (System.nanoTime() < end) {
      switch (layout) {
        case "raw" -> raw(c);
        case "events" -> events(c);
        case "events-copy" -> eventsCopy(c);
        case "packed" -> packed(c, "packed");
        case "packed-gin" -> packed(c, "packed_gin");
        case "packed-blob" -> packedBlob(c);
        default -> throw new IllegalArgumentException(layout);
      }
      events += BATCH;
    }
    String table = layout.startsWith("events") ? "events" : layout.replace('-', '_');
    written.merge(table, events, Long::sum);
    return events * 1e9 / (System.nanoTime() - start);
  }

  private void raw(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SCHEMA
        + ".raw (stamp, payload) VALUES (?, ?)");
        Statement notify = c.createStatement()) {
      for (int i = 0; i < BATCH; i++) {
        ps.setLong(1, i);
        ps.setBytes(2, payload);
        ps.addBatch();
      }
      ps.executeBatch();
      notify.execute("SELECT pg_notify('layout_bench', '')");
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
  }

  private void events(Connection c) throws SQLException {
    String[] topics = new String[BATCH];
    Integer[] partitions = new Integer[BATCH];
    for (int i = 0; i < BATCH; i++) {
      topics[i] = "bench";
      partitions[i] = i % PARTITIONS;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SCHEMA + ".events (topic, "
        + "partition, id, source, type, subject, time, datacontenttype, dataschema, key, "
        + "headers, data) SELECT r.topic, r.partition, r.id, r.source, r.type, r.subject, "
        + "r.time, r.datacontenttype, r.dataschema, r.key, r.headers::jsonb, r.data FROM "
        + "unnest(?::text[], ?::int4[], ?::text[], ?::text[], ?::text[], ?::text[], "
        + "?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bytea[]) WITH "
        + "ORDINALITY AS r(topic, partition, id, source, type, subject, time, datacontenttype, "
        + "dataschema, key, headers, data, n) ORDER BY r.n")) {
      ps.setArray(1, c.createArrayOf("text", topics));
      ps.setArray(2, c.createArrayOf("int4", partitions));
      bindAttributes(c, ps, 3, BATCH);
      ps.executeUpdate();
    }
  }

  /**
   * Binds, from parameter {@code first} on, one array per event attribute of {@code n} new
   * events, in the column order id, source, type, subject, time, datacontenttype, dataschema,
   * key, headers, data.
   */
  private void bindAttributes(Connection c, PreparedStatement ps, int first, int n)
      throws SQLException {
    String[] ids = new String[n];
    String[] sources = new String[n];
    String[] types = new String[n];
    String[] times = new String[n];
    String[] contentTypes = new String[n];
    String[] headers = new String[n];
    String[] none = new String[n];
    byte[][] data = new byte[n][];
    for (int i = 0; i < n; i++) {
      ids[i] = UUID.randomUUID().toString();
      sources[i] = RelaybusSession.SOURCE;
      types[i] = RelaybusSession.TYPE;
      times[i] = Instant.now().toString();
      contentTypes[i] = RelaybusSession.CONTENT_TYPE;
      headers[i] = "{}";
      data[i] = payload;
    }
    int p = first;
    ps.setArray(p++, c.createArrayOf("text", ids));
    ps.setArray(p++, c.createArrayOf("text", sources));
    ps.setArray(p++, c.createArrayOf("text", types));
    ps.setArray(p++, c.createArrayOf("text", none));
    ps.setArray(p++, c.createArrayOf("text", times));
    ps.setArray(p++, c.createArrayOf("text", contentTypes));
    ps.setArray(p++, c.createArrayOf("text", none));
    ps.setArray(p++, c.createArrayOf("text", none));
    ps.setArray(p++, c.createArrayOf("text", headers));
    ps.setArray(p, c.createArrayOf("bytea", data));
  }

  private void eventsCopy(Connection c) throws SQLException {
    StringBuilder sb = new StringBuilder(BATCH * (2 * payload.length + 160));
    for (int i = 0; i < BATCH; i++) {
      sb.append("bench\t").append(i % PARTITIONS).append('\t').append(UUID.randomUUID())
          .append('\t').append(RelaybusSession.SOURCE).append('\t').append(RelaybusSession.TYPE)
          .append("\t\\N\t").append(Instant.now()).append('\t')
          .append(RelaybusSession.CONTENT_TYPE).append("\t\\N\t\\N\t{}\t\\\\x");
      for (byte b : payload) {
        sb.append(HEX[(b >> 4) & 15]).append(HEX[b & 15]);
      }
      sb.append('\n');
    }
    try {
      c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + SCHEMA + ".events (topic, "
          + "partition, id, source, type, subject, time, datacontenttype, dataschema, key, "
          + "headers, data) FROM STDIN",
          new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The events of partition {@code p} in a batch: every PARTITIONS-th one. */
  private static int count(int p) {
    return BATCH / PARTITIONS + (p < BATCH % PARTITIONS ? 1 : 0);
  }

  private void packed(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SCHEMA + "." + table
        + " (topic, partition, seqs, ids, sources, types, subjects, times, datacontenttypes, "
        + "dataschemas, keys, headers, data) VALUES (?, ?, ARRAY(SELECT nextval('" + SCHEMA
        + ".events_seq_seq') FROM generate_series(1, ?)), ?::text[], ?::text[], ?::text[], "
        + "?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::jsonb[], "
        + "?::bytea[])")) {
      for (int part = 0; part < PARTITIONS; part++) {
        int n = count(part);
        ps.setString(1, "bench");
        ps.setInt(2, part);
        ps.setInt(3, n);
        bindAttributes(c, ps, 4, n);
        ps.addBatch();
      }
      ps.executeBatch(); // rewritten into one multi-row INSERT: atomic in auto-commit
    }
  }

  private void packedBlob(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SCHEMA + ".packed_blob "
        + "(topic, partition, seqs, ids, body) VALUES (?, ?, ARRAY(SELECT nextval('" + SCHEMA
        + ".events_seq_seq') FROM generate_series(1, ?)), ?::text[], ?)")) {
      for (int part = 0; part < PARTITIONS; part++) {
        int n = count(part);
        String[] ids = new String[n];
        ByteArrayOutputStream body = new ByteArrayOutputStream(n * (payload.length + 96));
        for (int i = 0; i < n; i++) {
          ids[i] = UUID.randomUUID().toString();
          byte[] attributes = (RelaybusSession.SOURCE + '\0' + RelaybusSession.TYPE + '\0'
              + Instant.now() + '\0' + RelaybusSession.CONTENT_TYPE + "\0{}\0")
              .getBytes(StandardCharsets.UTF_8);
          body.writeBytes(attributes);
          body.writeBytes(payload);
        }
        ps.setString(1, "bench");
        ps.setInt(2, part);
        ps.setInt(3, n);
        ps.setArray(4, c.createArrayOf("text", ids));
        ps.setBytes(5, body.toByteArray());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }
}
