package io.relaybus.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
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
