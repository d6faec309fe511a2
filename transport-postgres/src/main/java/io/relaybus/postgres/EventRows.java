package io.relaybus.postgres;

import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Event to row and row to event: the event columns, binding an event to an insert, reading one
 * from a row, and salvaging what can be read of a row that is not a valid event.
 */
final class EventRows {
  /** The event columns, in insert order after topic and partition. */
  static final String COLUMNS =
      "id, source, type, subject, time, datacontenttype, dataschema, key, headers, data";

  /** The same columns qualified for selects, in {@link #read} order. */
  static final String SELECT_COLUMNS = "e.id, e.source, e.type, e.subject, e.time, "
      + "e.datacontenttype, e.dataschema, e.key, e.headers::text, e.data";

  /**
   * Most events in one pack. A member that takes fewer events of a partition per fetch than a
   * pack holds reads the pack again at its next fetch, so packs are kept to a size a fetch
   * usually takes whole (the default fetch takes up to 500 events, split over the partitions
   * a member holds).
   */
  static final int MAX_PACK = 64;

  private EventRows() {}

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

  /** Binds an event's ten {@link #COLUMNS} from parameter {@code first}. */
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
  static Event event(String id, String source, String type, String subject,
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

  static Event salvage(String id, String source, String type, byte[] data) {
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
