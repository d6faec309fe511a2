package io.relaybus.postgres;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.RelaybusException;
import io.relaybus.spi.Names;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Dead letters in {@code <schema>.dead_letters}. Replaying copies the event back into the log
 * addressed to its group only ({@code target_group}), in the same transaction that deletes the
 * dead letter, so a replay is never lost or doubled.
 */
final class PostgresDeadLetters implements DeadLetters {
  private final PublishContext context;
  private final String schema;

  PostgresDeadLetters(PublishContext context) {
    this.context = context;
    this.schema = context.settings().schema;
  }

  @Override
  public List<DeadLetter> list(String topic, String group, int limit) {
    check(topic, group);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, got " + limit);
    }
    String sql = "SELECT dl_id::text, " + EventRows.COLUMNS.replace("headers", "headers::text")
        + ", reason, attempts, last_error, dead_lettered_at FROM " + schema + ".dead_letters "
        + "WHERE topic = ? AND grp = ? ORDER BY dead_lettered_at, event_seq LIMIT ?";
    List<DeadLetter> out = new ArrayList<>();
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setInt(3, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Event event;
          try {
            event = EventRows.read(rs, 2);
          } catch (InvalidEventException e) {
            event = EventRows.salvage(rs, 2);
          }
          out.add(new DeadLetter(rs.getString(1), topic, group, event,
              DeadLetterReason.valueOf(rs.getString(12)), rs.getInt(13), rs.getString(14),
              rs.getObject(15, OffsetDateTime.class).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw failure("list", topic, group, e);
    }
  }

  @Override
  public long count(String topic, String group) {
    check(topic, group);
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema
            + ".dead_letters WHERE topic = ? AND grp = ?")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw failure("count", topic, group, e);
    }
  }

  @Override
  public boolean replay(String topic, String group, String deadLetterId) {
    check(topic, group);
    Objects.requireNonNull(deadLetterId, "deadLetterId");
    UUID id;
    try {
      id = UUID.fromString(deadLetterId);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return replay(topic, group, "AND dl_id = ?", id) == 1;
  }

  @Override
  public int replayAll(String topic, String group) {
    check(topic, group);
    return replay(topic, group, "", null);
  }

  private int replay(String topic, String group, String filter, UUID id) {
    String sql = "WITH moved AS (DELETE FROM " + schema + ".dead_letters WHERE topic = ? AND "
        + "grp = ? " + filter + " RETURNING *) INSERT INTO " + schema + ".events (topic, "
        + "partition, " + EventRows.COLUMNS + ", target_group) SELECT topic, partition, "
        + EventRows.COLUMNS + ", grp FROM moved ORDER BY dead_lettered_at, event_seq";
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      if (id != null) {
        ps.setObject(3, id);
      }
      int n = ps.executeUpdate();
      if (n > 0) {
        context.published().committed(topic, null);
      }
      return n;
    } catch (SQLException e) {
      throw failure("replay", topic, group, e);
    }
  }

  @Override
  public int purge(String topic, String group) {
    check(topic, group);
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".dead_letters "
            + "WHERE topic = ? AND grp = ?")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw failure("purge", topic, group, e);
    }
  }

  private static void check(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
  }

  private static RelaybusException failure(String what, String topic, String group,
      SQLException e) {
    return new RelaybusException("Cannot " + what + " dead letters of topic '" + topic
        + "', group '" + group + "': " + e.getMessage(), e);
  }
}
