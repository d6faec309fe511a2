package io.relaybus.postgres;

import io.relaybus.StartPosition;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease protocol of one member: members share a topic's partitions through leases in the
 * {@code cursors} table. Each holds about {@code partitions / members} of them, renews its
 * leases with a heartbeat, and gives partitions up (after finishing their in-flight events)
 * when new members arrive. A member that stops heartbeating loses its leases after
 * {@code lease-timeout}, and its unfinished events go to the others, counting an attempt for
 * the events it may have been handling.
 *
 * <p>The member's thread runs the protocol; the partitions held are read by any thread.
 */
final class PartitionLeases {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionLeases.class);

  private final MemberStatements sql;
  private final CursorWriter cursors;
  private final PostgresSettings settings;
  private final String topic;
  private final String group;
  private final String memberId;
  private final int partitionCount;
  private final int maxInFlight;
  private final Map<Integer, PartitionState> owned = new ConcurrentHashMap<>();
  /** Partitions taken over by another member since {@link #takeLost()}; member thread only. */
  private final List<Integer> lost = new ArrayList<>();

  PartitionLeases(MemberStatements sql, CursorWriter cursors, PostgresSettings settings,
      String topic, String group, String memberId, int partitionCount, int maxInFlight) {
    this.sql = sql;
    this.cursors = cursors;
    this.settings = settings;
    this.topic = topic;
    this.group = group;
    this.memberId = memberId;
    this.partitionCount = partitionCount;
    this.maxInFlight = maxInFlight;
  }

  // ------------------------------------------------------------------ what is held

  /** The partition's state if this member holds it. */
  PartitionState get(int partition) {
    return owned.get(partition);
  }

  /** Whether this member still holds the partition of {@code state} and reads it. */
  boolean reads(PartitionState state) {
    return !state.draining && owned.get(state.partition) == state;
  }

  /** Whether this member holds one of the partitions. */
  boolean holdsAny(BitSet partitions) {
    for (Integer p : owned.keySet()) {
      if (partitions.get(p)) {
        return true;
      }
    }
    return false;
  }

  /** The partitions lost to another member since the last call, in the order lost. */
  List<Integer> takeLost() {
    if (lost.isEmpty()) {
      return List.of();
    }
    List<Integer> taken = List.copyOf(lost);
    lost.clear();
    return taken;
  }

  /** The partitions held now. */
  Set<Integer> partitions() {
    return Set.copyOf(owned.keySet());
  }

  /** The partitions held and not given up, to read. */
  List<PartitionState> readable() {
    List<PartitionState> readable = new ArrayList<>();
    for (PartitionState ps : owned.values()) {
      if (!ps.draining) {
        readable.add(ps);
      }
    }
    return readable;
  }

  /** Whether a partition held is one given up and waiting to be released. */
  boolean anyDraining() {
    for (PartitionState ps : owned.values()) {
      if (ps.draining) {
        return true;
      }
    }
    return false;
  }

  /** Whether a partition's cursor has moved since it was written. */
  boolean anyDirty() {
    for (PartitionState ps : owned.values()) {
      if (ps.dirty) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ protocol

  /** Joins the group: creates its cursors if the group is new, and heartbeats. */
  void join(Connection c, StartPosition start) throws SQLException {
    boolean earliest = start == StartPosition.EARLIEST;
    try (PreparedStatement ps = c.prepareStatement(earliest ? sql.createCursorsAtEarliest
        : sql.createCursorsAtLatest)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setInt(3, partitionCount);
      if (!earliest) {
        ps.setString(4, topic);
        ps.setString(5, topic);
      }
      ps.executeUpdate();
    }
    heartbeat(c, true);
  }

  /**
   * Records that the member is alive, renews its leases (dropping the partitions whose lease
   * expired), and when {@code rebalance}, moves towards its share of the partitions: gives the
   * highest up beyond it, or claims free ones up to it.
   */
  void heartbeat(Connection c, boolean rebalance) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.heartbeat)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setString(3, memberId);
      ps.executeUpdate();
    }
    Set<Integer> stillOwned = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(sql.renewLeases)) {
      ps.setLong(1, settings.leaseTimeout.toMillis());
      ps.setString(2, topic);
      ps.setString(3, group);
      ps.setString(4, memberId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stillOwned.add(rs.getInt(1));
        }
      }
    }
    for (Iterator<Integer> it = owned.keySet().iterator(); it.hasNext(); ) {
      int p = it.next();
      if (!stillOwned.contains(p)) {
        LOG.warn("Member of group '{}' lost partition {} of topic '{}' (lease expired); its "
            + "unfinished events go to another member", group, p, topic);
        it.remove();
        lost.add(p);
      }
    }
    int live;
    try (PreparedStatement ps = c.prepareStatement(sql.countLiveMembers)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setLong(3, settings.leaseTimeout.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        live = Math.max(1, rs.getInt(1));
      }
    }
    int share = (partitionCount + live - 1) / live;
    List<PartitionState> active = readable();
    if (!rebalance) {
      return;
    }
    if (active.size() > share) {
      active.sort((a, b) -> Integer.compare(b.partition, a.partition));
      for (int i = 0; i < active.size() - share; i++) {
        active.get(i).draining = true;
      }
    } else if (active.size() < share) {
      claim(c, share - active.size());
    }
  }

  private void claim(Connection c, int count) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.claim)) {
      ps.setString(1, memberId);
      ps.setLong(2, settings.leaseTimeout.toMillis());
      ps.setString(3, topic);
      ps.setString(4, group);
      ps.setInt(5, count);
      ps.setString(6, topic);
      ps.setString(7, group);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Array done = rs.getArray(4);
          PartitionState state = new PartitionState(rs.getInt(1),
              Long.parseLong(rs.getString(2)), rs.getLong(3), (Long[]) done.getArray());
          if (rs.getBoolean(5)) {
            countCrashedAttempts(c, state);
          }
          owned.put(state.partition, state);
          LOG.debug("Member {} of group '{}' took partition {} of topic '{}'", memberId, group,
              state.partition, topic);
        }
      }
    }
  }

  /**
   * A partition taken over from a member whose lease expired: that member may have died while
   * handling the first unfinished event of each key (and unkeyed events) in its window. Count one
   * attempt for each, so an event that crashes every member that handles it still reaches the
   * dead letters after maxAttempts instead of stalling its key forever.
   */
  private void countCrashedAttempts(Connection c, PartitionState state) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.countCrashedAttempts)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setInt(3, state.partition);
      int i = state.bindTakeOver(c, ps, 4, topic);
      ps.setString(i++, group);
      ps.setInt(i, maxInFlight);
      int n = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          state.retried(rs.getLong(1));
          n++;
        }
      }
      if (n > 0) {
        LOG.warn("Took over partition {} of topic '{}' from a member of group '{}' whose lease "
            + "expired; counted an attempt for {} event(s) it may have been handling", state.partition,
            topic, group, n);
      }
    }
  }

  /**
   * Gives up the partitions marked for draining once nothing of them is in flight; returns
   * whether it gave any up.
   */
  boolean releaseDrained(Connection c) throws SQLException {
    boolean handedOver = false;
    for (PartitionState ps : owned.values()) {
      if (ps.draining && ps.idle()) {
        writeCursor(c, ps, true);
        owned.remove(ps.partition);
        handedOver = true;
        LOG.debug("Member {} of group '{}' handed over partition {} of topic '{}'", memberId,
            group, ps.partition, topic);
      }
    }
    return handedOver;
  }

  /** Writes the cursors that moved. */
  void commit(Connection c) throws SQLException {
    for (PartitionState ps : owned.values()) {
      if (ps.dirty) {
        writeCursor(c, ps, false);
      }
    }
  }

  /** Writes every cursor, releases every lease, and leaves the group. */
  void leave(Connection c) throws SQLException {
    Collection<PartitionState> all = new ArrayList<>(owned.values());
    for (PartitionState ps : all) {
      writeCursor(c, ps, true);
    }
    owned.clear();
    try (PreparedStatement ps = c.prepareStatement(sql.leave)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setString(3, memberId);
      ps.executeUpdate();
    }
  }

  private void writeCursor(Connection c, PartitionState state, boolean release)
      throws SQLException {
    if (!cursors.write(c, state, release) && owned.remove(state.partition) != null) {
      lost.add(state.partition);
      LOG.warn("Member of group '{}' no longer owns partition {} of topic '{}'; another member "
          + "continues from its last written position", group, state.partition, topic);
    }
  }
}
