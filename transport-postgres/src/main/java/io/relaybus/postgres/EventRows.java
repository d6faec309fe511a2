package io.relaybus.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Map;

/** Event to row and row to event. */
final class EventRows {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {};

  /** The event columns, in insert order after topic and partition. */
  static final String COLUMNS =
      "id, source, type, subject, time, datacontenttype, dataschema, key, headers, data";

  /** The same columns qualified for selects, in {@link #read} order. */
  static final String SELECT_COLUMNS = "e.id, e.source, e.type, e.subject, e.time, "
      + "e.datacontenttype, e.dataschema, e.key, e.headers::text, e.data";

  private EventRows() {}

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
        + "r.topic, r.partition, r.id, r.source, r.type, r.subject, r.time, r.datacontenttype, "
        + "r.dataschema, r.key, r.headers::jsonb, r.data FROM unnest(?::text[], ?::int4[], "
        + "?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::text[], "
        + "?::text[], ?::text[], ?::bytea[]) WITH ORDINALITY AS r(topic, partition, id, source, "
        + "type, subject, time, datacontenttype, dataschema, key, headers, data, n) ORDER BY r.n";
  }

  /**
   * Rows to insert with one statement, possibly of several topics: {@link #insertSql} for a
   * single row (the cheapest statement for the server), {@link #insertArraysSql} for more.
   * Either way one round trip, and atomic on its own.
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

    /** Inserts the rows added so far with one statement. */
    void insert(Connection c, String schema) throws SQLException {
      if (size == 1) {
        try (PreparedStatement ps = c.prepareStatement(insertSql(schema))) {
          ps.setString(1, topics[0]);
          ps.setInt(2, partitions[0]);
          bind(ps, 3, events[0]);
          ps.executeUpdate();
        }
      } else if (size > 1) {
        try (PreparedStatement ps = c.prepareStatement(insertArraysSql(schema))) {
          bindArrays(c, ps);
          ps.executeUpdate();
        }
      }
    }

    private void bindArrays(Connection c, PreparedStatement ps) throws SQLException {
      Integer[] partition = new Integer[size];
      String[] id = new String[size];
      String[] source = new String[size];
      String[] type = new String[size];
      String[] subject = new String[size];
      String[] time = new String[size];
      String[] dataContentType = new String[size];
      String[] dataSchema = new String[size];
      String[] key = new String[size];
      String[] headers = new String[size];
      byte[][] data = new byte[size][];
      for (int i = 0; i < size; i++) {
        Event e = events[i];
        partition[i] = partitions[i];
        id[i] = e.id();
        source[i] = e.source();
        type[i] = e.type();
        subject[i] = e.subject().orElse(null);
        // Instant.toString is ISO-8601 in UTC; the builder truncated it to microseconds, which
        // timestamptz keeps exactly.
        time[i] = e.time().toString();
        dataContentType[i] = e.dataContentType().orElse(null);
        dataSchema[i] = e.dataSchema().orElse(null);
        key[i] = e.key().orElse(null);
        headers[i] = headersJson(e.headers());
        data[i] = e.data();
      }
      int p = 1;
      ps.setArray(p++, c.createArrayOf("text", size == topics.length ? topics
          : Arrays.copyOf(topics, size)));
      ps.setArray(p++, c.createArrayOf("int4", partition));
      ps.setArray(p++, c.createArrayOf("text", id));
      ps.setArray(p++, c.createArrayOf("text", source));
      ps.setArray(p++, c.createArrayOf("text", type));
      ps.setArray(p++, c.createArrayOf("text", subject));
      ps.setArray(p++, c.createArrayOf("text", time));
      ps.setArray(p++, c.createArrayOf("text", dataContentType));
      ps.setArray(p++, c.createArrayOf("text", dataSchema));
      ps.setArray(p++, c.createArrayOf("text", key));
      ps.setArray(p++, c.createArrayOf("text", headers));
      ps.setArray(p, c.createArrayOf("bytea", data));
    }
  }

  /** Binds parameters 3..12 of {@link #insertSql}. */
  static void bind(PreparedStatement ps, int first, Event e) throws SQLException {
    int i = first;
    ps.setString(i++, e.id());
    ps.setString(i++, e.source());
    ps.setString(i++, e.type());
    setNullable(ps, i++, e.subject().orElse(null));
    ps.setTimestamp(i++, Timestamp.from(e.time()));
    setNullable(ps, i++, e.dataContentType().orElse(null));
    setNullable(ps, i++, e.dataSchema().orElse(null));
    setNullable(ps, i++, e.key().orElse(null));
    ps.setString(i++, headersJson(e.headers()));
    ps.setBytes(i, e.data());
  }

  static String headersJson(Map<String, String> headers) {
    if (headers.isEmpty()) {
      return "{}";
    }
    try {
      return JSON.writeValueAsString(headers);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot serialise headers", e);
    }
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
    Event.Builder b = Event.builder()
        .id(rs.getString(i++))
        .source(rs.getString(i++))
        .type(rs.getString(i++))
        .subject(rs.getString(i++))
        .time(rs.getObject(i++, OffsetDateTime.class).toInstant())
        .dataContentType(rs.getString(i++))
        .dataSchema(rs.getString(i++))
        .key(rs.getString(i++));
    String headers = rs.getString(i++);
    if (headers != null && !headers.equals("{}")) {
      try {
        b.headers(JSON.readValue(headers, HEADERS));
      } catch (JsonProcessingException e) {
        throw new InvalidEventException("Row headers are not a JSON object of strings: "
            + e.getOriginalMessage());
      }
    }
    byte[] data = rs.getBytes(i);
    return b.data(data == null ? new byte[0] : data).build();
  }

  /**
   * A best-effort event for a row that breaks the envelope rules, to dead-letter it: the row's
   * id, source and type where they are valid, placeholders where not, and its data. Never throws
   * for bad row content.
   */
  static Event salvage(ResultSet rs, int first) throws SQLException {
    byte[] data = rs.getBytes(first + 9);
    Event.Builder b = Event.builder().data(data == null ? new byte[0] : data);
    b.id(attempt(Event.builder().source("urn:x").type("x"), rs.getString(first),
        (x, v) -> x.id(v)) ? rs.getString(first) : "invalid-row");
    b.source(attempt(Event.builder().type("x"), rs.getString(first + 1), (x, v) -> x.source(v))
        ? rs.getString(first + 1) : "urn:relaybus:invalid-row");
    b.type(attempt(Event.builder().source("urn:x"), rs.getString(first + 2),
        (x, v) -> x.type(v)) ? rs.getString(first + 2) : "relaybus.invalid-row");
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
