package io.relaybus.webhook.internal.outbox;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The dead letters of the {@link JdbcOutbox}: the {@code dead_letter} table's SQL. A filter
 * ({@link DeadLetterQuery}) becomes one {@code WHERE} clause shared by search and purge; the
 * event's id and type are read from its stored attributes.
 */
final class JdbcDeadLetters {

  private static final String COLUMNS = "id, topic, grp, attributes, data, reason, attempts, "
      + "last_error, dead_lettered_at";

  private final JdbcTransactions tx;
  private final String s;

  JdbcDeadLetters(JdbcTransactions tx, String schema) {
    this.tx = tx;
    this.s = schema;
  }

  /** Stores a dead letter inside the caller's transaction. */
  void insert(Connection c, String topic, String group, Event event, DeadLetterReason reason,
      int attempts, String lastError) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".dead_letter "
        + "(topic, grp, attributes, data, reason, attempts, last_error) VALUES "
        + "(?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setString(3, EventAttributes.encode(event));
      ps.setBytes(4, event.data());
      ps.setString(5, reason.name());
      ps.setInt(6, attempts);
      ps.setString(7, lastError == null ? "" : lastError);
      ps.executeUpdate();
    }
  }

  List<DeadLetter> search(DeadLetterQuery filter, long afterId, int limit) {
    Where w = where(filter);
    return tx.run(c -> {
      List<DeadLetter> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + s
          + ".dead_letter WHERE " + w.sql + " AND id > ? ORDER BY id LIMIT ?")) {
        int i = w.bind(ps);
        ps.setLong(i++, afterId);
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new DeadLetter(Long.toString(rs.getLong(1)), rs.getString(2),
                rs.getString(3), EventAttributes.decode(rs.getString(4), rs.getBytes(5)),
                DeadLetterReason.valueOf(rs.getString(6)), rs.getInt(7), rs.getString(8),
                rs.getTimestamp(9).toInstant()));
          }
        }
      }
      return out;
    });
  }

  Map<DeadLetterReason, Long> counts(String topic, String group) {
    return tx.run(c -> {
      Map<DeadLetterReason, Long> out = new EnumMap<>(DeadLetterReason.class);
      try (PreparedStatement ps = c.prepareStatement("SELECT reason, count(*) FROM " + s
          + ".dead_letter WHERE topic = ? AND grp = ? GROUP BY reason")) {
        ps.setString(1, topic);
        ps.setString(2, group);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(DeadLetterReason.valueOf(rs.getString(1)), rs.getLong(2));
          }
        }
      }
      return out;
    });
  }

  int replay(String topic, String group, List<String> ids, String route) {
    List<Long> numeric = new ArrayList<>();
    for (String id : ids) {
      try {
        numeric.add(Long.parseLong(id));
      } catch (NumberFormatException e) {
        // not one of ours: nothing to replay
      }
    }
    if (numeric.isEmpty()) {
      return 0;
    }
    return tx.run(c -> {
      // Deliveries are written in dead-letter order, so replayed events of one key keep it.
      try (PreparedStatement ps = c.prepareStatement("WITH dl AS (DELETE FROM " + s
          + ".dead_letter WHERE id = ANY(?) AND topic = ? AND grp = ? RETURNING id, attributes, "
          + "data) INSERT INTO " + s + ".delivery (route, topic, event_id, ordering_key, "
          + "attributes, data) SELECT ?, ?, attributes::json->>'id', attributes::json->>'key', "
          + "attributes, data FROM dl ORDER BY id")) {
        ps.setArray(1, c.createArrayOf("bigint", numeric.toArray()));
        ps.setString(2, topic);
        ps.setString(3, group);
        ps.setString(4, route);
        ps.setString(5, topic);
        return ps.executeUpdate();
      }
    });
  }

  int purge(DeadLetterQuery filter) {
    Where w = where(filter);
    return tx.run(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + s
          + ".dead_letter WHERE " + w.sql)) {
        w.bind(ps);
        return ps.executeUpdate();
      }
    });
  }

  /** The filter as SQL: the index (topic, grp, id) narrows it; the rest is checked per row. */
  private static Where where(DeadLetterQuery q) {
    StringBuilder sql = new StringBuilder("topic = ?");
    List<Object> params = new ArrayList<>();
    params.add(q.topic());
    q.group().ifPresent(g -> {
      sql.append(" AND grp = ?");
      params.add(g);
    });
    q.eventId().ifPresent(id -> {
      sql.append(" AND attributes::json->>'id' = ?");
      params.add(id);
    });
    q.type().ifPresent(t -> {
      sql.append(" AND attributes::json->>'type' = ?");
      params.add(t);
    });
    q.reason().ifPresent(r -> {
      sql.append(" AND reason = ?");
      params.add(r.name());
    });
    q.from().ifPresent(f -> {
      sql.append(" AND dead_lettered_at >= ?");
      params.add(Timestamp.from(f));
    });
    q.to().ifPresent(t -> {
      sql.append(" AND dead_lettered_at < ?");
      params.add(Timestamp.from(t));
    });
    return new Where(sql.toString(), params);
  }

  private record Where(String sql, List<Object> params) {
    /** Binds the parameters from 1; returns the next index. */
    int bind(PreparedStatement ps) throws SQLException {
      int i = 1;
      for (Object p : params) {
        ps.setObject(i++, p);
      }
      return i;
    }
  }
}
