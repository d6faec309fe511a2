package io.relaybus.postgres;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.Event;
import io.relaybus.InvalidEventException;
import io.relaybus.RelaybusException;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.spi.Names;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Dead letters in {@code <schema>.dead_letters}. Replaying copies the event back into the log
 * addressed to its group only ({@code target_group}), in the same transaction that deletes the
 * dead letter, so a replay is never lost or doubled. The operations API finds, counts, replays and
 * purges them by filter ({@link DeadLetterFilter}), each in one statement.
 */
final class PostgresDeadLetters implements DeadLetters {
  /** A dead letter's columns, in {@link #read} order. */
  private static final String COLUMNS = "dl_id::text, grp, "
      + EventRows.COLUMNS.replace("headers", "headers::text")
      + ", reason, attempts, last_error, dead_lettered_at";

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
    DeadLetterFilter filter = DeadLetterFilter.of(topic, group);
    String sql = "SELECT " + COLUMNS + " FROM " + schema + ".dead_letters WHERE "
        + filter.where() + " ORDER BY dead_lettered_at, event_seq LIMIT ?";
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(filter.bind(ps, 1), limit);
      return read(ps, topic);
    } catch (SQLException e) {
      throw failure("list", of(topic, group), e);
    }
  }

  /**
   * One page of the dead letters a query matches, oldest first (ties in the order of their
   * ids); a page continues after the last one of the page before ({@link DeadLetterFilter}).
   */
  DeadLetterPage page(DeadLetterQuery query) {
    DeadLetterFilter filter = DeadLetterFilter.page(query);
    String sql = "SELECT " + COLUMNS + " FROM " + schema + ".dead_letters WHERE "
        + filter.where() + " ORDER BY dead_lettered_at, dl_id LIMIT ?";
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(filter.bind(ps, 1), query.limit() + 1); // one more: is there a next page?
      List<DeadLetter> items = read(ps, query.topic());
      if (items.size() <= query.limit()) {
        return new DeadLetterPage(items, Optional.empty());
      }
      items = items.subList(0, query.limit());
      DeadLetter last = items.get(items.size() - 1);
      return new DeadLetterPage(items,
          Optional.of(DeadLetterFilter.token(last.deadLetteredAt(), last.id())));
    } catch (SQLException e) {
      throw failure("search", "matching " + query, e);
    }
  }

  /** Reads the rows of a {@link #COLUMNS} query. */
  private static List<DeadLetter> read(PreparedStatement ps, String topic) throws SQLException {
    List<DeadLetter> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Event event;
        try {
          event = EventRows.read(rs, 3);
        } catch (InvalidEventException e) {
          event = EventRows.salvage(rs, 3);
        }
        out.add(new DeadLetter(rs.getString(1), topic, rs.getString(2), event,
            DeadLetterReason.valueOf(rs.getString(13)), rs.getInt(14), rs.getString(15),
            rs.getObject(16, OffsetDateTime.class).toInstant()));
      }
    }
    return out;
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
      throw failure("count", of(topic, group), e);
    }
  }

  /** How many dead letters a group has per reason; reasons without any are absent. */
  Map<DeadLetterReason, Long> countsByReason(String topic, String group) {
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement("SELECT reason, count(*) FROM " + schema
            + ".dead_letters WHERE topic = ? AND grp = ? GROUP BY reason")) {
      ps.setString(1, topic);
      ps.setString(2, group);
      Map<DeadLetterReason, Long> counts = new EnumMap<>(DeadLetterReason.class);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(DeadLetterReason.valueOf(rs.getString(1)), rs.getLong(2));
        }
      }
      return counts;
    } catch (SQLException e) {
      throw failure("count", of(topic, group), e);
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
    return replay(topic, DeadLetterFilter.of(topic, group).and("dl_id = ?", id),
        of(topic, group)) == 1;
  }

  @Override
  public int replayAll(String topic, String group) {
    check(topic, group);
    return replay(topic, DeadLetterFilter.of(topic, group), of(topic, group));
  }

  /** Replays every dead letter the query's filter matches, whatever its page. */
  long replay(DeadLetterQuery filter) {
    return replay(filter.topic(), DeadLetterFilter.matching(filter), "matching " + filter);
  }

  /**
   * Moves the matching dead letters back into the log, each addressed to its own group, in one
   * statement: deleted and re-inserted together or not at all.
   */
  private int replay(String topic, DeadLetterFilter filter, String which) {
    String sql = "WITH moved AS (DELETE FROM " + schema + ".dead_letters WHERE "
        + filter.where() + " RETURNING *) INSERT INTO " + schema + ".events (topic, "
        + "partition, " + EventRows.COLUMNS + ", target_group) SELECT topic, partition, "
        + EventRows.COLUMNS + ", grp FROM moved ORDER BY dead_lettered_at, event_seq";
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      filter.bind(ps, 1);
      int n = ps.executeUpdate();
      if (n > 0) {
        context.published().committed(topic, null);
      }
      return n;
    } catch (SQLException e) {
      throw failure("replay", which, e);
    }
  }

  @Override
  public int purge(String topic, String group) {
    check(topic, group);
    return purge(DeadLetterFilter.of(topic, group), of(topic, group));
  }

  /** Deletes every dead letter the query's filter matches, whatever its page. */
  long purge(DeadLetterQuery filter) {
    return purge(DeadLetterFilter.matching(filter), "matching " + filter);
  }

  private int purge(DeadLetterFilter filter, String which) {
    try (Connection c = context.database().connection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".dead_letters "
            + "WHERE " + filter.where())) {
      filter.bind(ps, 1);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw failure("purge", which, e);
    }
  }

  private static void check(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
  }

  private static String of(String topic, String group) {
    return "of topic '" + topic + "', group '" + group + "'";
  }

  private static RelaybusException failure(String what, String which, SQLException e) {
    return new RelaybusException("Cannot " + what + " dead letters " + which + ": "
        + e.getMessage(), e);
  }
}
