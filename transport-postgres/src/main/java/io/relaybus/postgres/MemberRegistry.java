package io.relaybus.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This bus's group members by topic, and how they learn of new events and of membership
 * changes: a publish of this bus wakes the members that read one of its partitions, a
 * notification from another bus does the same, and a member joining, leaving or handing
 * partitions over is announced ({@code pg_notify}) so that every member of the topic, on any
 * bus, rebalances at once instead of at its next heartbeat.
 */
final class MemberRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(MemberRegistry.class);

  /** Notification payloads starting with this ask a topic's members to rebalance now. */
  static final String REBALANCE = "#rebalance ";

  private final PostgresSettings settings;
  private final Database database;
  private final Map<String, Set<GroupMember>> membersByTopic = new ConcurrentHashMap<>();

  MemberRegistry(PostgresSettings settings, Database database) {
    this.settings = settings;
    this.database = database;
  }

  /** A member joined: the topic's members rebalance, and it looks for events at once. */
  void joined(GroupMember member) {
    membersByTopic.computeIfAbsent(member.topic(), t -> ConcurrentHashMap.newKeySet())
        .add(member);
    announceRebalance(member.topic());
    member.wake();
  }

  /** A member closed: the others take its partitions. */
  void left(GroupMember member) {
    Set<GroupMember> set = membersByTopic.get(member.topic());
    if (set != null) {
      set.remove(member);
    }
    announceRebalance(member.topic());
  }

  /** Asks every member of the topic, on this bus and (by notification) the others, to rebalance. */
  void announceRebalance(String topic) {
    rebalanceRequested(topic);
    if (settings.pollOnly) {
      return;
    }
    try (Connection c = database.connection();
        PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, settings.channel());
      ps.setString(2, REBALANCE + topic);
      ps.execute();
    } catch (SQLException e) {
      LOG.debug("Could not announce a membership change of topic '{}'; members notice it at "
          + "their next heartbeat: {}", topic, e.getMessage());
    }
  }

  /** This bus's members of the topic heartbeat (and so rebalance) now. */
  void rebalanceRequested(String topic) {
    Set<GroupMember> local = membersByTopic.get(topic);
    if (local != null) {
      local.forEach(GroupMember::requestHeartbeat);
    }
  }

  /**
   * Notifications may have been missed: every member looks for events and for membership
   * changes at once.
   */
  void catchUp() {
    membersByTopic.values().forEach(set -> set.forEach(GroupMember::requestHeartbeat));
  }

  /**
   * Events were committed to a topic: wakes the members that read one of the partitions.
   *
   * @param partitions the partitions written to, or {@code null} for any
   */
  void wake(String topic, BitSet partitions) {
    Set<GroupMember> members = membersByTopic.get(topic);
    if (members != null) {
      for (GroupMember m : members) {
        if (partitions == null || m.reads(partitions)) {
          m.wake();
        }
      }
    }
  }

  /** This bus's running members. */
  List<GroupMember> all() {
    List<GroupMember> all = new ArrayList<>();
    membersByTopic.values().forEach(all::addAll);
    return all;
  }

  /** The ids of this bus's running members of a topic. */
  Set<String> memberIds(String topic) {
    Set<String> ids = new HashSet<>();
    membersByTopic.getOrDefault(topic, Set.of()).forEach(m -> ids.add(m.memberId()));
    return ids;
  }

  /** This bus's members of a topic (for tests). */
  Set<GroupMember> members(String topic) {
    return Set.copyOf(membersByTopic.getOrDefault(topic, Set.of()));
  }
}
