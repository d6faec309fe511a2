package io.relaybus.postgres;

import io.relaybus.DeadLetterReason;
import io.relaybus.RelaybusException;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operations API on PostgreSQL: topics from the {@code topics} table, groups and lag from
 * the groups' cursors, an event's whereabouts from its rows or packs, dead letters through
 * {@link PostgresDeadLetters}, health from {@link PostgresHealth}'s last checks. Each question
 * is one statement on a pool connection; none joins a group. The bus checks names, that it is
 * open and the capabilities before calling.
 */
final class PostgresOperations implements Operations {
  private final Database database;
  private final PostgresDeadLetters deadLetters;
  private final PostgresHealth health;
  private final MemberRegistry localMembers;
  private final Duration leaseTimeout;
  private final String topicsSql;
  private final String groupsSql;
  private final String membersSql;
  private final String lagSql;
  private final String eventSql;

  PostgresOperations(PostgresSettings settings, Database database,
      PostgresDeadLetters deadLetters, PostgresHealth health, MemberRegistry localMembers) {
    this.database = database;
    this.deadLetters = deadLetters;
    this.health = health;
    this.localMembers = localMembers;
    this.leaseTimeout = settings.leaseTimeout;
    String s = settings.schema;
    this.topicsSql = "SELECT topic FROM " + s + ".topics";
    this.groupsSql = "SELECT DISTINCT grp FROM " + s + ".cursors WHERE topic = ?";
    // A member counts while its heartbeat is within the lease timeout, as the members count
    // each other when they share the partitions out; it holds the partitions whose lease it
    // owns and has not let expire.
    this.membersSql = "SELECT m.member, m.heartbeat_at, coalesce(array_agg(c.partition ORDER BY "
        + "c.partition) FILTER (WHERE c.partition IS NOT NULL), '{}') FROM " + s + ".members m "
        + "LEFT JOIN " + s + ".cursors c ON c.topic = m.topic AND c.grp = m.grp AND c.owner = "
        + "m.member AND c.lease_until > now() WHERE m.topic = ? AND m.grp = ? AND "
        + "m.heartbeat_at > now() - ? * interval '1 millisecond' GROUP BY m.member, "
        + "m.heartbeat_at";
    // One row per partition of the group. Its cost is bounded by the group's backlog, not by the
    // tables: each partition reads the range of the primary key (topic, partition, txid, seq)
    // past its cursor, in events and in packs, so consumed events, other partitions, topics and
    // groups are never read. The oldest unfinished event of a partition is the one with the
    // smallest published_at among those, read in the same pass as the count.
    this.lagSql = "SELECT c.partition, r.n + p.n, least(r.oldest, p.oldest), now() FROM " + s
        + ".cursors c CROSS JOIN LATERAL (SELECT count(*) AS n, min(e.published_at) AS oldest "
        + "FROM " + s + ".events e WHERE e.topic = c.topic AND e.partition = c.partition AND "
        + "(e.txid, e.seq) > (c.last_txid, c.last_seq) AND NOT e.seq = ANY (c.done_ahead) AND "
        + "(e.target_group IS NULL OR e.target_group = c.grp)) r CROSS JOIN LATERAL (SELECT "
        + "count(*) AS n, min(k.published_at) AS oldest FROM " + s + ".packs k CROSS JOIN "
        + "LATERAL unnest(k.seqs) AS u(seq) WHERE k.topic = c.topic AND k.partition = "
        + "c.partition AND (k.txid, k.seq) > (c.last_txid, c.last_seq) AND (k.txid, u.seq) > "
        + "(c.last_txid, c.last_seq) AND NOT u.seq = ANY (c.done_ahead) AND (k.target_group IS "
        + "NULL OR k.target_group = c.grp)) p WHERE c.topic = ? AND c.grp = ? ORDER BY "
        + "c.partition";
    // Every stored copy of the event: the published one, the replays of its dead letters
    // (addressed to one group), and its dead letters, which keep the event after retention
    // deleted it (they have no txid: no cursor is before them). Rows are found by the index on
    // id, dead letters by dead_letters_event; packs (ADR 0012) by scanning the topic's packs
    // within retention. Per group of the topic: a dead letter with the event's id, else a copy
    // for the group its cursor has not finished, else consumed. Where the event is: its
    // published copy, else the first of the others, by seq (a dead letter's is the published
    // copy's).
    this.eventSql = "WITH copies AS (SELECT x.partition, x.txid, x.seq, x.target_group FROM " + s
        + ".events x WHERE x.topic = ? AND x.id = ? UNION ALL SELECT k.partition, k.txid, u.seq,"
        + " k.target_group FROM " + s + ".packs k CROSS JOIN LATERAL unnest(k.seqs, k.ids) AS "
        + "u(seq, id) WHERE k.topic = ? AND ? = ANY (k.ids) AND u.id = ? UNION ALL SELECT "
        + "d.partition, NULL, d.event_seq, d.grp FROM " + s + ".dead_letters d WHERE d.topic = ? "
        + "AND d.id = ?), origin AS (SELECT "
        + "partition, seq FROM copies ORDER BY target_group IS NOT NULL, seq LIMIT 1) SELECT "
        + "o.partition, o.seq, g.grp, EXISTS (SELECT 1 FROM " + s + ".dead_letters d WHERE "
        + "d.topic = ? AND d.id = ? AND d.grp = g.grp), EXISTS (SELECT 1 FROM copies e JOIN "
        + s + ".cursors c ON c.topic = ? AND c.grp = g.grp AND c.partition = e.partition WHERE "
        + "(e.target_group IS NULL OR e.target_group = g.grp) AND (e.txid, e.seq) > "
        + "(c.last_txid, c.last_seq) AND NOT e.seq = ANY (c.done_ahead)) FROM origin o LEFT "
        + "JOIN (SELECT DISTINCT grp FROM " + s + ".cursors WHERE topic = ?) g ON true";
  }

  @Override
  public List<String> topics() {
    try {
      return database.read(c -> {
        List<String> topics = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(topicsSql);
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            topics.add(rs.getString(1));
          }
        }
        return sorted(topics);
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot list the topics: " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> groups(String topic) {
    try {
      return database.read(c -> {
        List<String> groups = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(groupsSql)) {
          ps.setString(1, topic);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              groups.add(rs.getString(1));
            }
          }
        }
        return sorted(groups);
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot list the groups of topic '" + topic + "': "
          + e.getMessage(), e);
    }
  }

  /** Java's order, whatever the database's collation. */
  private static List<String> sorted(List<String> names) {
    names.sort(null);
    return List.copyOf(names);
  }

  /**
   * {@inheritDoc}
   *
   * <p>From the {@code members} table (a member's heartbeat is its last-seen time, on the
   * server's clock) and the leases of the group's cursors. Where a member runs is known for the
   * members of this bus (this process); the table does not record it for the others.
   */
  @Override
  public List<GroupMember> members(String topic, String group) {
    Set<String> local = localMembers.memberIds(topic);
    try {
      return database.read(c -> {
        List<GroupMember> members = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(membersSql)) {
          ps.setString(1, topic);
          ps.setString(2, group);
          ps.setLong(3, leaseTimeout.toMillis());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String id = rs.getString(1);
              Array held = rs.getArray(3);
              List<Integer> partitions = List.of((Integer[]) held.getArray());
              held.free();
              members.add(new GroupMember(id, local.contains(id)
                  ? Optional.of(GroupMember.thisProcess()) : Optional.empty(), partitions,
                  Optional.of(rs.getObject(2, OffsetDateTime.class).toInstant())));
            }
          }
        }
        members.sort(Comparator.comparing(GroupMember::id));
        return List.copyOf(members);
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot list the members of group '" + group + "' on topic '"
          + topic + "': " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc} Ages are measured on the server's clock (against {@code published_at}), and
   * so is {@link GroupLag#measuredAt()}. An unknown group has no partitions and no lag.
   */
  @Override
  public GroupLag lag(String topic, String group) {
    try {
      return database.read(c -> {
        List<PartitionLag> partitions = new ArrayList<>();
        Instant now = Instant.now();
        try (PreparedStatement ps = c.prepareStatement(lagSql)) {
          ps.setString(1, topic);
          ps.setString(2, group);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              now = rs.getObject(4, OffsetDateTime.class).toInstant();
              OffsetDateTime oldest = rs.getObject(3, OffsetDateTime.class);
              Duration age = oldest == null ? Duration.ZERO
                  : Duration.between(oldest.toInstant(), now);
              partitions.add(new PartitionLag(rs.getInt(1), rs.getLong(2),
                  age.isNegative() ? Duration.ZERO : age));
            }
          }
        }
        return GroupLag.of(topic, group, partitions, now);
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot compute the lag of group '" + group + "' on topic '"
          + topic + "': " + e.getMessage(), e);
    }
  }

  @Override
  public DeadLetterPage deadLetters(DeadLetterQuery query) {
    return deadLetters.page(query);
  }

  @Override
  public Map<DeadLetterReason, Long> deadLetterCounts(String topic, String group) {
    return deadLetters.countsByReason(topic, group);
  }

  @Override
  public long replayDeadLetters(DeadLetterQuery filter) {
    return deadLetters.replay(filter);
  }

  @Override
  public long purgeDeadLetters(DeadLetterQuery filter) {
    return deadLetters.purge(filter);
  }

  /**
   * {@inheritDoc} The location holds {@code partition} and {@code seq}. An event published
   * more than once with the same id is reported by its first copy. A dead letter keeps its
   * event after retention deleted it: the event is found, and the groups without a dead letter
   * of it consumed it (retention deletes only what every group finished).
   */
  @Override
  public Optional<EventStatus> event(String topic, String eventId) {
    try {
      return database.read(c -> {
        try (PreparedStatement ps = c.prepareStatement(eventSql)) {
          ps.setString(1, topic);
          ps.setString(2, eventId);
          ps.setString(3, topic);
          ps.setString(4, eventId);
          ps.setString(5, eventId);
          ps.setString(6, topic);
          ps.setString(7, eventId);
          ps.setString(8, topic);
          ps.setString(9, eventId);
          ps.setString(10, topic);
          ps.setString(11, topic);
          try (ResultSet rs = ps.executeQuery()) {
            Map<String, String> location = null;
            Map<String, EventStatus.Consumption> groups = new LinkedHashMap<>();
            while (rs.next()) {
              if (location == null) {
                location = Map.of("partition", Integer.toString(rs.getInt(1)),
                    "seq", Long.toString(rs.getLong(2)));
              }
              String group = rs.getString(3);
              if (group != null) {
                groups.put(group, rs.getBoolean(4) ? EventStatus.Consumption.DEAD_LETTER
                    : rs.getBoolean(5) ? EventStatus.Consumption.PENDING
                    : EventStatus.Consumption.CONSUMED);
              }
            }
            return location == null ? Optional.<EventStatus>empty()
                : Optional.of(new EventStatus(topic, eventId, location, groups));
          }
        }
      });
    } catch (SQLException e) {
      throw new RelaybusException("Cannot look up event '" + eventId + "' of topic '" + topic
          + "': " + e.getMessage(), e);
    }
  }

  /** Always throws: PostgreSQL has no webhook endpoints (no {@code WEBHOOK_ENDPOINTS}). */
  @Override
  public List<EndpointStatus> endpoints() {
    throw new UnsupportedOperationException("The postgres transport has no webhook endpoints "
        + "(it does not declare WEBHOOK_ENDPOINTS)");
  }

  @Override
  public Health health() {
    return health.health();
  }
}
