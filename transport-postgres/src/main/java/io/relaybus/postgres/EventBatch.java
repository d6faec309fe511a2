package io.relaybus.postgres;

import io.relaybus.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events to insert with one statement, possibly of several topics: {@link #insertSql} for a
 * single row (the cheapest statement for the server), {@link #insertArraysSql} for more, and
 * {@link #insertPacksSql} when events of one topic and partition can share a pack. Any way one
 * round trip, and atomic on its own.
 */
final class EventBatch {
  private final String[] topics;
  private final int[] partitions;
  private final Event[] events;
  private int size;

  EventBatch(int capacity) {
    topics = new String[capacity];
    partitions = new int[capacity];
    events = new Event[capacity];
  }

  /** Adds one row; the caller sized the batch for every row it adds. */
  void add(String topic, int partition, Event e) {
    topics[size] = topic;
    partitions[size] = partition;
    events[size] = e;
    size++;
  }

  /**
   * Inserts the rows added so far with one statement. With {@code pack-batches}, the events
   * of a topic and partition that has two or more of them go into one row of {@code packs}
   * (ADR 0012), the others into {@code events}: still one statement, so still atomic.
   */
  void insert(Connection c, PostgresSettings settings) throws SQLException {
    String schema = settings.schema;
    if (size == 0) {
      return;
    }
    if (size == 1) {
      try (PreparedStatement ps = c.prepareStatement(insertSql(schema))) {
        ps.setString(1, topics[0]);
        ps.setInt(2, partitions[0]);
        EventRows.bind(ps, 3, events[0]);
        ps.executeUpdate();
      }
      return;
    }
    List<int[]> packs = new ArrayList<>();
    int[] singles = settings.packBatches ? groupRows(packs) : null;
    if (packs.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(insertArraysSql(schema))) {
        bindArrays(c, ps, all());
        ps.executeUpdate();
      }
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(insertPacksSql(schema, singles.length > 0,
        packs.size()))) {
      int p = singles.length > 0 ? bindArrays(c, ps, singles) : 1;
      for (int[] rows : packs) {
        ps.setString(p++, topics[rows[0]]);
        ps.setInt(p++, partitions[rows[0]]);
        ps.setInt(p++, rows.length);
        p = bindAttributes(c, ps, p, rows);
      }
      ps.executeUpdate();
    }
  }

  private int[] all() {
    int[] rows = new int[size];
    for (int i = 0; i < size; i++) {
      rows[i] = i;
    }
    return rows;
  }

  /**
   * Groups the rows by topic and partition, in the order each group first appears: groups of
   * two or more rows are added to {@code packs} (row indices in submission order), the rows
   * alone in their group are returned.
   */
  private int[] groupRows(List<int[]> packs) {
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      // topic names cannot contain a space (Names), so the key is unambiguous
      groups.computeIfAbsent(topics[i] + ' ' + partitions[i], k -> new ArrayList<>()).add(i);
    }
    List<Integer> singles = new ArrayList<>();
    for (List<Integer> g : groups.values()) {
      if (g.size() == 1) {
        singles.add(g.get(0));
        continue;
      }
      for (int from = 0; from < g.size(); from += EventRows.MAX_PACK) {
        packs.add(g.subList(from, Math.min(g.size(), from + EventRows.MAX_PACK)).stream()
            .mapToInt(Integer::intValue).toArray());
      }
    }
    return singles.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Binds {@link #insertArraysSql} for {@code rows}; returns the next parameter index. */
  private int bindArrays(Connection c, PreparedStatement ps, int[] rows) throws SQLException {
    String[] topic = new String[rows.length];
    Integer[] partition = new Integer[rows.length];
    for (int i = 0; i < rows.length; i++) {
      topic[i] = topics[rows[i]];
      partition[i] = partitions[rows[i]];
    }
    ps.setArray(1, c.createArrayOf("text", topic));
    ps.setArray(2, c.createArrayOf("int4", partition));
    return bindAttributes(c, ps, 3, rows);
  }

  /**
   * Binds one array per event attribute of {@code rows}, in {@link EventRows#COLUMNS} order (the
   * time as two, see {@link #time}), from parameter {@code first}; returns the next parameter
   * index.
   */
  private int bindAttributes(Connection c, PreparedStatement ps, int first, int[] rows)
      throws SQLException {
    int n = rows.length;
    String[] id = new String[n];
    String[] source = new String[n];
    String[] type = new String[n];
    String[] subject = new String[n];
    Long[] micros = new Long[n];
    String[] time = new String[n];
    String[] dataContentType = new String[n];
    String[] dataSchema = new String[n];
    String[] key = new String[n];
    String[] headers = new String[n];
    byte[][] data = new byte[n][];
    for (int i = 0; i < n; i++) {
      Event e = events[rows[i]];
      id[i] = e.id();
      source[i] = e.source();
      type[i] = e.type();
      subject[i] = e.subject().orElse(null);
      micros[i] = micros(e.time());
      // ISO-8601 in UTC, which timestamptz parses exactly, where micros cannot carry it
      time[i] = micros[i] == null ? e.time().toString() : null;
      dataContentType[i] = e.dataContentType().orElse(null);
      dataSchema[i] = e.dataSchema().orElse(null);
      key[i] = e.key().orElse(null);
      headers[i] = HeadersJson.write(e.headers());
      data[i] = e.data();
    }
    int p = first;
    ps.setArray(p++, c.createArrayOf("text", id));
    ps.setArray(p++, c.createArrayOf("text", source));
    ps.setArray(p++, c.createArrayOf("text", type));
    ps.setArray(p++, c.createArrayOf("text", subject));
    ps.setArray(p++, c.createArrayOf("int8", micros));
    ps.setArray(p++, c.createArrayOf("text", time));
    ps.setArray(p++, c.createArrayOf("text", dataContentType));
    ps.setArray(p++, c.createArrayOf("text", dataSchema));
    ps.setArray(p++, c.createArrayOf("text", key));
    ps.setArray(p++, c.createArrayOf("text", headers));
    ps.setArray(p++, c.createArrayOf("bytea", data));
    return p;
  }

  /**
   * Event times are sent as microseconds since the Unix epoch ({@code micros}, an int8 array),
   * and as text ({@code text}) only where that would not be exact, so a publish writer neither
   * formats nor the server parses a time as text (benchmarks/RESULTS.md, "Figures that were in
   * code comments"). The
   * server turns micros into a time through a float8 product, exact while it stays within
   * ±2^53 (years 1684 to 2255); times outside go as ISO-8601 text.
   */
  private static String time(String micros, String text) {
    return "coalesce(timestamptz 'epoch' + " + micros + " * interval '1 microsecond', " + text
        + "::timestamptz)";
  }

  /** Largest magnitude of microseconds {@link #time} turns into a time exactly. */
  private static final long EXACT_MICROS = 1L << 53;

  /**
   * Microseconds since the Unix epoch of an event time (the builder keeps it to microseconds),
   * or null when the server could not turn them into the time exactly.
   */
  private static Long micros(Instant time) {
    long seconds = time.getEpochSecond();
    if (Math.abs(seconds) > EXACT_MICROS / 1_000_000 + 1) {
      return null; // (and the product below cannot overflow)
    }
    long micros = seconds * 1_000_000L + time.getNano() / 1_000;
    return Math.abs(micros) < EXACT_MICROS ? micros : null;
  }

  static String insertSql(String schema) {
    return "INSERT INTO " + schema + ".events (topic, partition, " + EventRows.COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)";
  }

  /**
   * Inserts any number of rows in one statement, one array parameter per column: one round
   * trip, one server-side plan whatever the row count, and atomic on its own, so an
   * auto-commit connection stores all rows or none without BEGIN and COMMIT round trips.
   * Rows are inserted, and so take their {@code seq}, in array order (pgjdbc's
   * {@code reWriteBatchedInserts} would instead split a batch into several statements of
   * power-of-two sizes, each its own plan).
   */
  static String insertArraysSql(String schema) {
    return "INSERT INTO " + schema + ".events (topic, partition, " + EventRows.COLUMNS + ") SELECT "
        + "r.topic, r.partition, r.id, r.source, r.type, r.subject, "
        + time("r.micros", "r.time") + ", r.datacontenttype, r.dataschema, r.key, "
        + "r.headers::jsonb, r.data FROM unnest(?::text[], ?::int4[], ?::text[], ?::text[], "
        + "?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], "
        + "?::bytea[]) WITH ORDINALITY AS r(topic, partition, id, source, type, subject, micros, "
        + "time, datacontenttype, dataschema, key, headers, data, n) ORDER BY r.n";
  }


  /**
   * Inserts {@code packs} rows of {@code packs}, each with its events' seqs drawn from the
   * events' sequence in array order, after (in a data-modifying {@code WITH}) the single rows of
   * {@link #insertArraysSql} when {@code singles}: one statement either way.
   */
  static String insertPacksSql(String schema, boolean singles, int packs) {
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < packs; i++) {
      values.append(i == 0 ? "" : ", ").append("(?::text, ?::int, ?::int, ?::text[], ?::text[], "
          + "?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], "
          + "?::jsonb[], ?::bytea[])");
    }
    return (singles ? "WITH single AS (" + insertArraysSql(schema) + ") " : "")
        + "INSERT INTO " + schema + ".packs (seq, topic, partition, seqs, ids, sources, types, "
        + "subjects, times, datacontenttypes, dataschemas, keys, headers, data) SELECT "
        + "q.s[v.n], v.topic, v.partition, q.s, v.ids, v.sources, v.types, v.subjects, "
        + "ARRAY(SELECT " + time("t.m", "t.x") + " FROM unnest(v.micros, v.times) WITH "
        + "ORDINALITY AS t(m, x, n) ORDER BY t.n), v.datacontenttypes, v.dataschemas, v.keys, "
        + "v.headers, v.data FROM (VALUES " + values + ") AS v(topic, partition, n, ids, sources, "
        + "types, subjects, micros, times, datacontenttypes, dataschemas, keys, headers, data) "
        + "CROSS JOIN LATERAL (SELECT ARRAY(SELECT nextval('" + schema + ".events_seq_seq') "
        + "FROM generate_series(1, v.n) ORDER BY 1) AS s) q";
  }
}
