package io.relaybus.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's writes of its partitions' progress: the cursor (committed position and the
 * positions finished ahead of it), and the attempts rows that let a redelivery after a crash
 * continue the attempt count.
 */
final class CursorWriter {
  private static final Logger LOG = LoggerFactory.getLogger(CursorWriter.class);

  private final MemberStatements sql;
  private final Database database;
  private final String topic;
  private final String group;
  private final String memberId;

  CursorWriter(MemberStatements sql, Database database, String topic, String group,
      String memberId) {
    this.sql = sql;
    this.database = database;
    this.topic = topic;
    this.group = group;
    this.memberId = memberId;
  }

  /**
   * Writes a partition's cursor (and releases its lease when asked), then deletes the attempts
   * rows of the finished events it passed; false if the member no longer holds the partition.
   */
  boolean write(Connection c, PartitionState state, boolean release) throws SQLException {
    PartitionState.Cursor cursor = state.cursor();
    int updated;
    try (PreparedStatement ps = c.prepareStatement(release ? sql.writeCursorAndRelease
        : sql.writeCursor)) {
      ps.setString(1, Long.toString(cursor.txid()));
      ps.setLong(2, cursor.seq());
      ps.setArray(3, c.createArrayOf("int8", cursor.doneAhead()));
      ps.setString(4, topic);
      ps.setString(5, group);
      ps.setInt(6, state.partition);
      ps.setString(7, memberId);
      updated = ps.executeUpdate();
    } catch (SQLException e) {
      state.notWritten(cursor);
      throw e;
    }
    if (!cursor.retriedDone().isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(sql.deleteAttempts)) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setArray(3, c.createArrayOf("int8", cursor.retriedDone().toArray()));
        ps.executeUpdate();
      }
    }
    return updated == 1;
  }

  /**
   * Stores the attempts made so far of an event about to be retried. A failure is logged, not
   * thrown: the retry goes ahead, and only a redelivery after a crash would count from an
   * earlier attempt.
   */
  void recordAttempt(PartitionState state, long seq, String eventId, int failedAttempt) {
    state.retried(seq);
    try (Connection c = database.connection();
        PreparedStatement ps = c.prepareStatement(sql.recordAttempt)) {
      ps.setString(1, topic);
      ps.setString(2, group);
      ps.setLong(3, seq);
      ps.setInt(4, state.partition);
      ps.setInt(5, failedAttempt);
      ps.executeUpdate();
    } catch (SQLException e) {
      LOG.warn("Could not store attempt {} of event {} (topic '{}', group '{}'); a redelivery "
          + "after a crash would count from an earlier attempt: {}", failedAttempt, eventId,
          topic, group, e.getMessage());
    }
  }
}
