package io.relaybus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import java.io.PrintStream;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The database side of the JDBC webhook outbox in two layouts, on one embedded PostgreSQL 17 (or
 * the server of {@code RELAYBUS_BENCH_POSTGRES_URL}), without HTTP: the measurements behind ADR
 * 0020. Each layout publishes {@code --events} events to one endpoint in publishes of {@code
 * --group} events, one statement at a time, then drains them as a dispatcher with a window of
 * {@value #WINDOW} would if every request succeeded at once; layouts alternate for {@code
 * --rounds} rounds, and each round ends by counting that every event was stored and recorded
 * exactly once.
 *
 * <ul>
 *   <li><b>outbox</b>: the outbox as it is ({@link JdbcOutbox}, its own schema and
 *       statements): a publish is the group-committed statement of one publish (rows below 32
 *       events, a pack from 32: ADR 0020 as built); the drain is the dispatcher's statement that
 *       records a round's successes and claims the next round.</li>
 *   <li><b>proposal</b>: the layout ADR 0020 proposed, as SQL written for this comparison: a
 *       publish is one statement that writes a {@code pack} row (the events as arrays, each with a
 *       delivery id of the outbox's sequence) and one narrow {@code route_pack} row per route
 *       that takes the topic; the drain leases a {@code route_pack} and reads its pack in one
 *       statement, records each round of successes as one update of the narrow row plus one
 *       attempt row with arrays, and deletes the {@code route_pack} (and the pack no other route
 *       needs) after its last event.</li>
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.WebhookOutboxLayoutComparison
 *     [--events 20000] [--group 100] [--rounds 3]
 * </pre>
 */
public final class WebhookOutboxLayoutComparison {
  /** A dispatcher's round: an endpoint's concurrency of 32, as the harness's endpoint has. */
  static final int WINDOW = 32;
  private static final String ROWS = "outbox_rows_bench";
  private static final String PACKED = "outbox_packed_bench";
  private static final String ROUTE = "bench";
  private static final String TOPIC = "bench";
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final byte[] payload = Payloads.json(Payloads.SIZE);
  private final String owner = UUID.randomUUID().toString();

  private WebhookOutboxLayoutComparison() {}

  /**
   * Runs both layouts and prints a Markdown table of publish and drain rates.
   *
   * @param args {@code --events N} per round (default 20,000), {@code --group N} events per
   *     publish (default 100), {@code --rounds N} (default 3)
   * @throws Exception when a step fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].substring(2), args[i + 1]);
    }
    int events = Integer.parseInt(opts.getOrDefault("events", "20000"));
    int group = Integer.parseInt(opts.getOrDefault("group", "100"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    run(PostgresServer.get(), events, group, rounds, System.out);
    System.exit(0);
  }

  /**
   * Measures both layouts, checks the counts after every round and prints the table.
   *
   * @param server the server
   * @param events events per round and layout
   * @param group events per publish
   * @param rounds rounds
   * @param out where the table goes (progress goes to standard error)
   * @return per layout, {@code publish} and {@code drain} rates (events/s), one per round
   * @throws SQLException when a statement fails
   * @throws IllegalStateException when a layout lost or repeated an event
   */
  static Map<String, Map<String, List<Double>>> run(PostgresServer server, int events, int group,
      int rounds, PrintStream out) throws SQLException {
    if (events < 1 || group < 1 || group > events || rounds < 1) {
      throw new IllegalArgumentException("--events, --group and --rounds must be positive and "
          + "--group at most --events; got " + events + ", " + group + ", " + rounds);
    }
    WebhookOutboxLayoutComparison c = new WebhookOutboxLayoutComparison();
    Map<String, Map<String, List<Double>>> rates = new LinkedHashMap<>();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(server.url());
    config.setUsername(server.user());
    config.setPassword(server.password());
    config.setMaximumPoolSize(2);
    try (HikariDataSource pool = new HikariDataSource(config);
        Connection conn = server.connect()) {
      dropSchema(conn, ROWS);
      try (JdbcOutbox outbox = new JdbcOutbox(pool, null, ROWS)) {
        outbox.putEndpoint(WebhookEndpoint.builder(ROUTE).url("http://127.0.0.1:9/")
            .topics(TOPIC).concurrency(WINDOW).build());
        c.createPacked(conn);
        c.rows(outbox, conn, Math.min(events, 5 * group), group); // warm-up, not reported
        c.packed(conn, Math.min(events, 5 * group), group);
        for (int r = 0; r < rounds; r++) {
          double[] rows = c.rows(outbox, conn, events, group);
          double[] packed = c.packed(conn, events, group);
          record(rates, "outbox", rows);
          record(rates, "proposal", packed);
          System.err.printf(Locale.ROOT, "[round %d] outbox publish %,.0f drain %,.0f; proposal "
              + "publish %,.0f drain %,.0f events/s%n", r + 1, rows[0], rows[1], packed[0],
              packed[1]);
        }
      }
    }
    out.println();
    out.println("Server: " + server.description() + "; one endpoint, " + events + " events of "
        + Payloads.SIZE + "-byte data per round, publishes of " + group + ", drained in rounds "
        + "of " + WINDOW + ", one connection at a time, " + rounds + " rounds");
    out.println();
    out.println("| layout | publish, events/s (median) | drain, events/s (median) | publish "
        + "samples | drain samples |");
    out.println("|---|--:|--:|---|---|");
    for (Map.Entry<String, Map<String, List<Double>>> e : rates.entrySet()) {
      List<Double> p = e.getValue().get("publish");
      List<Double> d = e.getValue().get("drain");
      out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %s | %s |%n", e.getKey(),
          Metric.median(p), Metric.median(d), samples(p), samples(d));
    }
    return rates;
  }

  private static void record(Map<String, Map<String, List<Double>>> rates, String layout,
      double[] publishAndDrain) {
    Map<String, List<Double>> m = rates.computeIfAbsent(layout, k -> new LinkedHashMap<>());
    m.computeIfAbsent("publish", k -> new ArrayList<>()).add(publishAndDrain[0]);
    m.computeIfAbsent("drain", k -> new ArrayList<>()).add(publishAndDrain[1]);
  }

  /** Today's outbox: publishes through its group-committed path, drains by its round. */
  private double[] rows(JdbcOutbox outbox, Connection conn, int events, int group)
      throws SQLException {
    long attemptsBefore = count(conn, "SELECT count(*) FROM " + ROWS + ".attempt");
    long start = System.nanoTime();
    for (int published = 0; published < events; published += group) {
      // One publish in flight: its statement carries exactly this publish's events.
      outbox.publishAsync(TOPIC, events(Math.min(group, events - published))).join();
    }
    long published = System.nanoTime();
    List<AttemptRecord> succeeded = List.of();
    int drained = 0;
    Instant now = Instant.now();
    while (true) {
      List<OutboxDelivery> claimed = outbox.succeededAndClaim(succeeded, ROUTE, WINDOW, false,
          false, LEASE);
      if (claimed.isEmpty() && succeeded.isEmpty()) {
        break;
      }
      drained += claimed.size();
      List<AttemptRecord> next = new ArrayList<>(claimed.size());
      for (OutboxDelivery d : claimed) {
        // The ids the dispatcher records: the event's (a UUID) and the request's webhook-id.
        next.add(new AttemptRecord(d.id(), 1, now, Duration.ofMillis(1), 200, null,
            EVENT_ID_SIZED, "msg_" + d.id()));
      }
      succeeded = next;
    }
    long end = System.nanoTime();
    expect("outbox: deliveries drained", drained, events);
    expect("outbox: deliveries left", count(conn, "SELECT (SELECT count(*) FROM " + ROWS
        + ".delivery) + (SELECT count(*) FROM " + ROWS + ".route_pack)"), 0);
    expect("outbox: successes recorded",
        count(conn, "SELECT count(*) FROM " + ROWS + ".attempt") - attemptsBefore, events);
    return new double[] {perSecond(events, published - start), perSecond(events, end - published)};
  }

  private static final String EVENT_ID_SIZED = UUID.randomUUID().toString();

  private void createPacked(Connection c) throws SQLException {
    dropSchema(c, PACKED);
    String p = PACKED;
    try (Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + p);
      s.execute("CREATE SEQUENCE " + p + ".delivery_id");
      s.execute("CREATE TABLE " + p + ".route (name text PRIMARY KEY, topics text[] NOT NULL, "
          + "state text NOT NULL DEFAULT 'ENABLED')");
      s.execute("INSERT INTO " + p + ".route (name, topics) VALUES ('" + ROUTE + "', ARRAY['"
          + TOPIC + "'])");
      // The pack: immutable, its arrays stored out of line uncompressed, as the PostgreSQL
      // transport's packs (ADR 0012).
      s.execute("CREATE TABLE " + p + ".pack (id bigint PRIMARY KEY, topic text NOT NULL, "
          + "ids bigint[] NOT NULL, event_ids text[] NOT NULL, keys text[] NOT NULL, "
          + "attributes text[] NOT NULL, data bytea[] NOT NULL, "
          + "created_at timestamptz NOT NULL DEFAULT now())");
      s.execute("ALTER TABLE " + p + ".pack ALTER COLUMN ids SET STORAGE EXTERNAL, "
          + "ALTER COLUMN event_ids SET STORAGE EXTERNAL, ALTER COLUMN keys SET STORAGE "
          + "EXTERNAL, ALTER COLUMN attributes SET STORAGE EXTERNAL, ALTER COLUMN data SET "
          + "STORAGE EXTERNAL");
      // A route's progress through one pack: narrow, updated once per round.
      s.execute("CREATE TABLE " + p + ".route_pack (route text NOT NULL, pack bigint NOT NULL, "
          + "events int NOT NULL, done int[] NOT NULL DEFAULT '{}', due_at timestamptz NOT NULL "
          + "DEFAULT now(), lease_owner text, lease_until timestamptz, created_at timestamptz "
          + "NOT NULL DEFAULT now(), PRIMARY KEY (route, pack))");
      s.execute("CREATE INDEX route_pack_pack ON " + p + ".route_pack (pack)");
      s.execute("CREATE TABLE " + p + ".attempt_round (route text NOT NULL, pack bigint NOT "
          + "NULL, ordinals int[] NOT NULL, started_at timestamptz[] NOT NULL, duration_ms "
          + "bigint[] NOT NULL, status int[] NOT NULL, recorded_at timestamptz NOT NULL DEFAULT "
          + "now())");
      s.execute("CREATE INDEX attempt_round_route ON " + p + ".attempt_round (route, "
          + "recorded_at)");
    }
  }

  private static final String PUBLISH = "WITH e AS (SELECT ?::text AS topic, ?::text[] AS "
      + "event_ids, ?::text[] AS keys, ?::text[] AS attributes, ?::bytea[] AS data), ids AS ("
      + "SELECT array_agg(nextval('%1$s.delivery_id') ORDER BY g) AS ids FROM e, "
      + "generate_series(1, cardinality(e.event_ids)) g), pk AS (INSERT INTO %1$s.pack (id, "
      + "topic, ids, event_ids, keys, attributes, data) SELECT ids.ids[1], e.topic, ids.ids, "
      + "e.event_ids, e.keys, e.attributes, e.data FROM e, ids RETURNING id, cardinality(ids) "
      + "AS n, topic) INSERT INTO %1$s.route_pack (route, pack, events) SELECT r.name, pk.id, "
      + "pk.n FROM pk JOIN %1$s.route r ON pk.topic = ANY(r.topics) OR '*' = ANY(r.topics)";
  private static final String CLAIM = "WITH c AS (UPDATE %1$s.route_pack rp SET lease_owner = "
      + "?, lease_until = now() + ? * interval '1 ms' WHERE (rp.route, rp.pack) = (SELECT route, "
      + "pack FROM %1$s.route_pack WHERE route = ? AND due_at <= now() AND (lease_until IS NULL "
      + "OR lease_until < now()) ORDER BY route, pack LIMIT 1 FOR UPDATE SKIP LOCKED) "
      + "RETURNING rp.pack, rp.done) SELECT c.pack, c.done, k.ids, k.attributes, k.data FROM c "
      + "JOIN %1$s.pack k ON k.id = c.pack";
  private static final String ROUND = "WITH u AS (UPDATE %1$s.route_pack SET done = done || "
      + "?::int[], lease_until = now() + ? * interval '1 ms' WHERE route = ? AND pack = ? AND "
      + "lease_owner = ? RETURNING route, pack) INSERT INTO %1$s.attempt_round (route, pack, "
      + "ordinals, started_at, duration_ms, status) SELECT u.route, u.pack, ?::int[], "
      + "?::timestamptz[], ?::bigint[], ?::int[] FROM u";
  private static final String FINISH = "WITH d AS (DELETE FROM %1$s.route_pack WHERE route = ? "
      + "AND pack = ? AND lease_owner = ? RETURNING pack) DELETE FROM %1$s.pack k USING d WHERE "
      + "k.id = d.pack AND NOT EXISTS (SELECT 1 FROM %1$s.route_pack o WHERE o.pack = d.pack "
      + "AND o.route <> ?)";

  /** ADR 0020's layout: one pack row per publish, progress per route and round. */
  private double[] packed(Connection conn, int events, int group) throws SQLException {
    long recordedBefore = count(conn, "SELECT coalesce(sum(cardinality(ordinals)), 0) FROM "
        + PACKED + ".attempt_round");
    String publish = PUBLISH.formatted(PACKED);
    long start = System.nanoTime();
    for (int published = 0; published < events; published += group) {
      List<Event> batch = events(Math.min(group, events - published));
      String[] ids = new String[batch.size()];
      String[] keys = new String[batch.size()];
      String[] attributes = new String[batch.size()];
      byte[][] data = new byte[batch.size()][];
      for (int i = 0; i < ids.length; i++) {
        Event e = batch.get(i);
        ids[i] = e.id();
        keys[i] = e.key().orElse(null);
        attributes[i] = attributes(e);
        data[i] = e.data();
      }
      try (PreparedStatement ps = conn.prepareStatement(publish)) {
        ps.setString(1, TOPIC);
        ps.setArray(2, conn.createArrayOf("text", ids));
        ps.setArray(3, conn.createArrayOf("text", keys));
        ps.setArray(4, conn.createArrayOf("text", attributes));
        ps.setArray(5, conn.createArrayOf("bytea", data));
        ps.executeUpdate();
      }
    }
    long published = System.nanoTime();
    int drained = 0;
    Timestamp now = Timestamp.from(Instant.now());
    while (true) {
      long pack;
      int[] done;
      Object[] attributes;
      Object[] data;
      try (PreparedStatement ps = conn.prepareStatement(CLAIM.formatted(PACKED))) {
        ps.setString(1, owner);
        ps.setLong(2, LEASE.toMillis());
        ps.setString(3, ROUTE);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            break;
          }
          pack = rs.getLong(1);
          done = Arrays.stream((Integer[]) rs.getArray(2).getArray()).mapToInt(i -> i)
              .toArray();
          rs.getArray(3).getArray(); // the delivery ids, as a sender reads them
          attributes = (Object[]) rs.getArray(4).getArray();
          data = (Object[]) rs.getArray(5).getArray();
        }
      }
      boolean[] finished = new boolean[attributes.length];
      for (int d : done) {
        finished[d - 1] = true;
      }
      List<Integer> pending = new ArrayList<>();
      for (int i = 0; i < finished.length; i++) {
        if (!finished[i]) {
          pending.add(i + 1);
        }
      }
      for (int from = 0; from < pending.size(); from += WINDOW) {
        List<Integer> round = pending.subList(from, Math.min(pending.size(), from + WINDOW));
        recordRound(conn, pack, round, now);
        drained += round.size();
      }
      try (PreparedStatement ps = conn.prepareStatement(FINISH.formatted(PACKED))) {
        ps.setString(1, ROUTE);
        ps.setLong(2, pack);
        ps.setString(3, owner);
        ps.setString(4, ROUTE);
        ps.executeUpdate();
      }
    }
    long end = System.nanoTime();
    expect("packed: deliveries drained", drained, events);
    expect("packed: progress rows left", count(conn, "SELECT count(*) FROM " + PACKED
        + ".route_pack"), 0);
    expect("packed: packs left", count(conn, "SELECT count(*) FROM " + PACKED + ".pack"), 0);
    expect("packed: successes recorded", count(conn, "SELECT coalesce(sum(cardinality("
        + "ordinals)), 0) FROM " + PACKED + ".attempt_round") - recordedBefore, events);
    return new double[] {perSecond(events, published - start), perSecond(events, end - published)};
  }

  private void recordRound(Connection conn, long pack, List<Integer> round, Timestamp now)
      throws SQLException {
    Integer[] ordinals = round.toArray(new Integer[0]);
    Timestamp[] started = new Timestamp[ordinals.length];
    Long[] durations = new Long[ordinals.length];
    Integer[] statuses = new Integer[ordinals.length];
    Arrays.fill(started, now);
    Arrays.fill(durations, 1L);
    Arrays.fill(statuses, 200);
    try (PreparedStatement ps = conn.prepareStatement(ROUND.formatted(PACKED))) {
      Array o = conn.createArrayOf("int4", ordinals);
      ps.setArray(1, o);
      ps.setLong(2, LEASE.toMillis());
      ps.setString(3, ROUTE);
      ps.setLong(4, pack);
      ps.setString(5, owner);
      ps.setArray(6, o);
      ps.setArray(7, conn.createArrayOf("timestamptz", started));
      ps.setArray(8, conn.createArrayOf("int8", durations));
      ps.setArray(9, conn.createArrayOf("int4", statuses));
      if (ps.executeUpdate() != 1) {
        throw new IllegalStateException("packed: the round of pack " + pack + " found no "
            + "progress row leased by this sender");
      }
    }
  }

  /** The attributes as the outbox stores them beside the data: one JSON text per event. */
  private static String attributes(Event e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", e.id());
    n.put("source", e.source());
    n.put("type", e.type());
    n.put("time", e.time().toString());
    return n.toString();
  }

  private List<Event> events(int n) {
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().id(UUID.randomUUID().toString()).source("/bench")
          .type("bench.event").data(payload).build());
    }
    return out;
  }

  private static void dropSchema(Connection c, String schema) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void expect(String what, long actual, long expected) {
    if (actual != expected) {
      throw new IllegalStateException(what + ": " + actual + ", expected " + expected);
    }
  }

  private static double perSecond(long events, long nanos) {
    return events / (nanos / 1e9);
  }

  private static String samples(List<Double> values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", v));
    }
    return b.toString();
  }
}
