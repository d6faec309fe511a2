package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Event to row and row to event. */
final class EventRows {
  /** The event columns, in insert order after topic and partition. */
  static final String COLUMNS =
      "id, source, type, subject, time, datacontenttype, dataschema, key, headers, data";

  /** The same columns qualified for selects, in {@link #read} order. */
  static final String SELECT_COLUMNS = "e.id, e.source, e.type, e.subject, e.time, "
      + "e.datacontenttype, e.dataschema, e.key, e.headers::text, e.data";

  /** Every attribute column of an event after its position, in {@code events} order. */
  private static final List<String> ATTRIBUTES = List.of("id", "source", "type", "subject",
      "time", "datacontenttype", "dataschema", "key", "headers", "data");

  /** The array column of {@code packs} holding each attribute, by the attribute's column name. */
  private static final Map<String, String> PACK_ARRAYS = Map.of("id", "ids", "source", "sources",
      "type", "types", "subject", "subjects", "time", "times", "datacontenttype",
      "datacontenttypes", "dataschema", "dataschemas", "key", "keys", "headers", "headers",
      "data", "data");

  /**
   * Most events in one pack. A member that takes fewer events of a partition per fetch than a
   * pack holds reads the pack again at its next fetch, so packs are kept to a size a fetch
   * usually takes whole (the default fetch takes up to 500 events, split over the partitions
   * a member holds).
   */
  static final int MAX_PACK = 64;

  private EventRows() {}

  /**
   * The events of one partition after a position, in {@code (txid, seq)} order and at most
   * {@code limit} of them, from both tables: rows of {@code events} and the events of
   * {@code packs} (ADR 0012), readable only below the oldest running transaction and meant for
   * every group or for {@code group}. Each branch reads in index order under its own
   * {@code LIMIT}, packs are unnested lazily and sorted per transaction (an incremental sort on
   * the presorted {@code txid}), so the server reads no more than the limit needs whatever the
   * backlog. Arguments are SQL expressions (parameters or outer columns).
   *
   * @param columns the result columns: {@code txid}, {@code seq}, {@code topic},
   *     {@code partition} or an event attribute column; must include txid and seq
   * @param packLimit how many packs to read at most (at least {@code limit}: every pack past
   *     the position holds at least one event past it)
   * @param seqFilter an extra condition on each event, with {@code {seq}} for its seq, or null
   */
  static String window(String schema, List<String> columns, String topic, String partition,
      String txid, String seq, String group, String limit, String packLimit, String seqFilter) {
    StringBuilder rowCols = new StringBuilder();
    StringBuilder packCols = new StringBuilder();
    // Only the arrays the caller reads are expanded, in the select list (a ProjectSet walks the
    // arrays in step, row by row), not as unnest(...) in FROM, which materialises every
    // array's elements in a tuplestore per pack: a fetch spent most of its server time there.
    StringBuilder unnest = new StringBuilder("unnest(k.seqs) AS seq");
    for (String col : columns) {
      boolean perEvent = col.equals("seq") || ATTRIBUTES.contains(col);
      rowCols.append(rowCols.length() == 0 ? "" : ", ").append("x.").append(col);
      packCols.append(packCols.length() == 0 ? "" : ", ").append(perEvent ? "u." : "k.")
          .append(col);
      if (perEvent && !col.equals("seq")) {
        unnest.append(", unnest(k.").append(PACK_ARRAYS.get(col)).append(") AS ").append(col);
      }
    }
    String position = "(" + txid + ", " + seq + ")";
    String readable = " < pg_snapshot_xmin(pg_current_snapshot())";
    return "SELECT * FROM ((SELECT " + rowCols + " FROM " + schema + ".events x WHERE x.topic = "
        + topic + " AND x.partition = " + partition + " AND (x.txid, x.seq) > " + position
        + " AND x.txid" + readable + " AND (x.target_group IS NULL OR x.target_group = "
        + group + ")" + (seqFilter == null ? "" : " AND " + seqFilter.replace("{seq}", "x.seq"))
        + " ORDER BY x.txid, x.seq LIMIT " + limit + ") UNION ALL (SELECT " + packCols
        + " FROM (SELECT * FROM " + schema + ".packs k WHERE k.topic = " + topic
        + " AND k.partition = " + partition + " AND (k.txid, k.seq) > " + position
        + " AND k.txid" + readable + " AND (k.target_group IS NULL OR k.target_group = " + group
        + ") ORDER BY k.txid, k.seq LIMIT " + packLimit + ") k CROSS JOIN LATERAL (SELECT "
        + unnest + ") u"
        + " WHERE (k.txid, u.seq) > " + position
        + (seqFilter == null ? "" : " AND " + seqFilter.replace("{seq}", "u.seq"))
        + " ORDER BY k.txid, u.seq)) w ORDER BY w.txid, w.seq LIMIT " + limit;
  }

  /**
   * Rows and whole packs of one partition after a position, for a member's fetch of events of
   * ordinary size (ADR 0014): one result row per row of {@code events} (its attributes as arrays
   * of one) and per pack (its arrays as stored), in {@code (txid, seq)} order, at most
   * {@code limit} rows and {@code packLimit} packs, readable and meant for every group or for
   * {@code group} as in {@link #window}. A pack may hold events at or before the position (the
   * reader skips them) and events past what the caller needs. Columns, read by {@link Packed}:
   * {@code txid}, {@code seq} (a pack's last), {@code packed}, then one array per attribute.
   * The arrays go to pgjdbc in binary form, and the server sends each pack as it is stored
   * instead of expanding it into rows and sorting them: measured at about two fifths of the
   * server's time per event and half of the client's that one row per event cost.
   */
  static String packedWindow(String schema, String topic, String partition, String txid,
      String seq, String group, String limit, String packLimit) {
    String position = "(" + txid + ", " + seq + ")";
    String readable = " < pg_snapshot_xmin(pg_current_snapshot())";
    return "(SELECT x.txid, x.seq, false AS packed, ARRAY[x.seq] AS seqs, ARRAY[x.id] AS ids, "
        + "ARRAY[x.source] AS sources, ARRAY[x.type] AS types, ARRAY[x.subject] AS subjects, "
        + "ARRAY[" + pgMicros("x.time") + "] AS micros, ARRAY[x.datacontenttype] AS "
        + "datacontenttypes, ARRAY[x.dataschema] AS dataschemas, ARRAY[x.key] AS keys, "
        + "ARRAY[x.headers::text] AS headers, ARRAY[x.data] AS data FROM " + schema
        + ".events x WHERE x.topic = " + topic + " AND x.partition = " + partition
        + " AND (x.txid, x.seq) > " + position + " AND x.txid" + readable
        + " AND (x.target_group IS NULL OR x.target_group = " + group + ") ORDER BY x.txid, "
        + "x.seq LIMIT " + limit + ") UNION ALL (SELECT k.txid, k.seq, true, k.seqs, k.ids, "
        + "k.sources, k.types, k.subjects, ARRAY(SELECT " + pgMicros("t.t") + " FROM "
        + "unnest(k.times) WITH ORDINALITY AS t(t, n) ORDER BY t.n), k.datacontenttypes, "
        + "k.dataschemas, k.keys, k.headers::text[], k.data FROM " + schema + ".packs k WHERE "
        + "k.topic = " + topic + " AND k.partition = " + partition + " AND (k.txid, k.seq) > "
        + position + " AND k.txid" + readable + " AND (k.target_group IS NULL OR "
        + "k.target_group = " + group + ") ORDER BY k.txid, k.seq LIMIT " + packLimit + ")";
  }

  /** Seconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC. */
  private static final long PG_EPOCH_SECONDS = 946_684_800L;

  /**
   * A time as PostgreSQL holds it, microseconds since 2000-01-01 UTC: an int8 for every finite
   * {@code timestamptz} (the numeric {@code extract} is exact), null for infinity. pgjdbc
   * decodes no binary {@code timestamptz[]}, and parsing the text form took the client longer
   * than the rest of the event.
   */
  private static String pgMicros(String time) {
    return "CASE WHEN isfinite(" + time + ") THEN (extract(epoch FROM " + time
        + ") * 1000000 - " + PG_EPOCH_SECONDS + "000000)::int8 END";
  }

  /** Where the events of a fetched row come from. */
  interface Source {
    /**
     * The event at {@code j}.
     *
     * @throws InvalidEventException when the row breaks the envelope rules
     */
    Event event(int j) throws SQLException;

    /** A best-effort event for the invalid one at {@code j}, to dead-letter it. */
    Event salvage(int j) throws SQLException;
  }

  /** The events of one row of {@link #packedWindow}: a pack, or a row of {@code events}. */
  static final class Packed implements Source {
    final long txid;
    /** The position of the last event. */
    final long seq;
    /** Whether this is a pack, not a row of {@code events}. */
    final boolean packed;
    private final Long[] seqs;
    private final String[] ids;
    private final String[] sources;
    private final String[] types;
    private final String[] subjects;
    private final Long[] micros;
    private final String[] dataContentTypes;
    private final String[] dataSchemas;
    private final String[] keys;
    private final String[] headers;
    private final byte[][] data;

    /** Reads the columns of {@link #packedWindow} from {@code first} on. */
    Packed(ResultSet rs, int first) throws SQLException {
      int i = first;
      txid = Long.parseLong(rs.getString(i++));
      seq = rs.getLong(i++);
      packed = rs.getBoolean(i++);
      seqs = (Long[]) rs.getArray(i++).getArray();
      ids = strings(rs, i++);
      sources = strings(rs, i++);
      types = strings(rs, i++);
      subjects = strings(rs, i++);
      micros = (Long[]) rs.getArray(i++).getArray();
      dataContentTypes = strings(rs, i++);
      dataSchemas = strings(rs, i++);
      keys = strings(rs, i++);
      headers = strings(rs, i++);
      data = (byte[][]) rs.getArray(i).getArray();
      int n = seqs.length;
      if (ids.length != n || sources.length != n || types.length != n || subjects.length != n
          || micros.length != n || dataContentTypes.length != n || dataSchemas.length != n
          || keys.length != n || headers.length != n || data.length != n) {
        throw new SQLException("Pack " + seq + " holds arrays of different lengths");
      }
    }

    private static String[] strings(ResultSet rs, int i) throws SQLException {
      return (String[]) rs.getArray(i).getArray();
    }

    int size() {
      return seqs.length;
    }

    long seq(int j) {
      return seqs[j];
    }

    /**
     * The event at {@code j}.
     *
     * @throws InvalidEventException when it breaks the envelope rules
     */
    @Override
    public Event event(int j) {
      try {
        Long m = micros[j];
        if (m == null) {
          throw new InvalidEventException("Row time is not finite");
        }
        Instant time = Instant.ofEpochSecond(PG_EPOCH_SECONDS + Math.floorDiv(m, 1_000_000L),
            Math.floorMod(m, 1_000_000L) * 1_000L);
        return EventRows.event(ids[j], sources[j], types[j], subjects[j], time,
            dataContentTypes[j], dataSchemas[j], keys[j], headers[j], data[j]);
      } catch (InvalidEventException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new InvalidEventException("Row breaks the envelope rules: " + e.getMessage());
      }
    }

    @Override
    public Event salvage(int j) {
      return EventRows.salvage(ids[j], sources[j], types[j], data[j]);
    }
  }

  /**
   * Event times are sent as microseconds since the Unix epoch ({@code micros}, an int8 array),
   * and as text ({@code text}) only where that would not be exact: formatting every time as text
   * in Java and parsing it in the server had cost a quarter of a publish writer's time. The
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
    return "INSERT INTO " + schema + ".events (topic, partition, " + COLUMNS
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
    return "INSERT INTO " + schema + ".events (topic, partition, " + COLUMNS + ") SELECT "
        + "r.topic, r.partition, r.id, r.source, r.type, r.subject, "
        + time("r.micros", "r.time") + ", r.datacontenttype, r.dataschema, r.key, "
        + "r.headers::jsonb, r.data FROM unnest(?::text[], ?::int4[], ?::text[], ?::text[], "
        + "?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], "
        + "?::bytea[]) WITH ORDINALITY AS r(topic, partition, id, source, type, subject, micros, "
        + "time, datacontenttype, dataschema, key, headers, data, n) ORDER BY r.n";
  }

  /**
   * Events to insert with one statement, possibly of several topics: {@link #insertSql} for a
   * single row (the cheapest statement for the server), {@link #insertArraysSql} for more, and
   * {@link #insertPacksSql} when events of one topic and partition can share a pack. Any way one
   * round trip, and atomic on its own.
   */
  static final class Batch {
    private final String[] topics;
    private final int[] partitions;
    private final Event[] events;
    private int size;

    Batch(int capacity) {
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
          bind(ps, 3, events[0]);
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
        for (int from = 0; from < g.size(); from += MAX_PACK) {
          packs.add(g.subList(from, Math.min(g.size(), from + MAX_PACK)).stream()
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
     * Binds one array per event attribute of {@code rows}, in {@link #COLUMNS} order (the time
     * as two, see {@link EventRows#time}), from parameter {@code first}; returns the next
     * parameter index.
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

  /** Binds parameters 3..12 of {@link #insertSql}. */
  static void bind(PreparedStatement ps, int first, Event e) throws SQLException {
    int i = first;
    ps.setString(i++, e.id());
    ps.setString(i++, e.source());
    ps.setString(i++, e.type());
    setNullable(ps, i++, e.subject().orElse(null));
    // java.time's calendar (proleptic Gregorian), not java.sql.Timestamp's: a Timestamp moves
    // times before 1582 by days (0001-01-01 was stored as 0001-01-03).
    ps.setObject(i++, OffsetDateTime.ofInstant(e.time(), ZoneOffset.UTC));
    setNullable(ps, i++, e.dataContentType().orElse(null));
    setNullable(ps, i++, e.dataSchema().orElse(null));
    setNullable(ps, i++, e.key().orElse(null));
    ps.setString(i++, HeadersJson.write(e.headers()));
    ps.setBytes(i, e.data());
  }

  private static void setNullable(PreparedStatement ps, int i, String v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, v);
    }
  }

  /**
   * Reads the ten columns of {@link #SELECT_COLUMNS} starting at {@code first}.
   *
   * @throws io.relaybus.InvalidEventException when the row breaks the envelope rules (possible
   *     for rows written with plain SQL)
   */
  static Event read(ResultSet rs, int first) throws SQLException {
    try {
      return readUnchecked(rs, first);
    } catch (InvalidEventException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new InvalidEventException("Row breaks the envelope rules: " + e.getMessage());
    }
  }

  private static Event readUnchecked(ResultSet rs, int first) throws SQLException {
    int i = first;
    String id = rs.getString(i++);
    String source = rs.getString(i++);
    String type = rs.getString(i++);
    String subject = rs.getString(i++);
    OffsetDateTime time = rs.getObject(i++, OffsetDateTime.class);
    if (time.equals(OffsetDateTime.MAX) || time.equals(OffsetDateTime.MIN)) { // ±infinity
      throw new InvalidEventException("Row time is not finite");
    }
    return event(id, source, type, subject, time.toInstant(), rs.getString(i++),
        rs.getString(i++), rs.getString(i++), rs.getString(i++), rs.getBytes(i));
  }

  /**
   * An event from its stored attributes ({@code headers} as the column's JSON text).
   *
   * @throws RuntimeException when they break the envelope rules
   */
  private static Event event(String id, String source, String type, String subject,
      Instant time, String dataContentType, String dataSchema, String key, String headers,
      byte[] data) {
    Event.Builder b = Event.builder().id(id).source(source).type(type).subject(subject).time(time)
        .dataContentType(dataContentType).dataSchema(dataSchema).key(key);
    if (headers != null && !headers.equals("{}")) {
      b.headers(HeadersJson.read(headers));
    }
    return b.data(data == null ? new byte[0] : data).build();
  }

  /**
   * A best-effort event for a row that breaks the envelope rules, to dead-letter it: the row's
   * id, source and type where they are valid, placeholders where not, and its data. Never throws
   * for bad row content.
   */
  static Event salvage(ResultSet rs, int first) throws SQLException {
    return salvage(rs.getString(first), rs.getString(first + 1), rs.getString(first + 2),
        rs.getBytes(first + 9));
  }

  private static Event salvage(String id, String source, String type, byte[] data) {
    Event.Builder b = Event.builder().data(data == null ? new byte[0] : data);
    b.id(attempt(Event.builder().source("urn:x").type("x"), id, (x, v) -> x.id(v))
        ? id : "invalid-row");
    b.source(attempt(Event.builder().type("x"), source, (x, v) -> x.source(v))
        ? source : "urn:relaybus:invalid-row");
    b.type(attempt(Event.builder().source("urn:x"), type, (x, v) -> x.type(v))
        ? type : "relaybus.invalid-row");
    return b.build();
  }

  /** Whether a builder with one attribute set to {@code value} builds. */
  private static boolean attempt(Event.Builder builder, String value,
      java.util.function.BiConsumer<Event.Builder, String> set) {
    if (value == null) {
      return false;
    }
    try {
      set.accept(builder, value);
      builder.build();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

}
