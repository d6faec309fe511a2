package io.relaybus.postgres;

import io.relaybus.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A member's fetch of one row per event ({@link MemberStatements#fetchRows}): the fetch until
 * the member knows its events' size, and for large events.
 */
final class RowReader {
  /** The first column of the event in a fetched row. */
  private static final int EVENT_COLUMN = 4;
  /** The column of the event's attempts so far. */
  private static final int ATTEMPTS_COLUMN = 14;

  private final MemberStatements sql;
  private final PartitionLeases leases;
  private final String topic;
  private final String group;

  RowReader(MemberStatements sql, PartitionLeases leases, String topic, String group) {
    this.sql = sql;
    this.leases = leases;
    this.topic = topic;
    this.group = group;
  }

  /**
   * Reads up to {@code unread} events of each asked partition (counting them down) into the
   * pass; returns whether a partition filled its share.
   */
  boolean read(Connection c, List<PartitionState> asked, int[] unread, FetchPass pass)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.fetchRows(asked.size()))) {
      // each partition's share, before any row is counted
      MemberStatements.bindFetch(ps, topic, group, asked,
          state -> new int[] {unread[state.partition]});
      try (ResultSet rs = ps.executeQuery()) {
        EventRows.Source row = new EventRows.Source() {
          @Override
          public Event event(int j) throws SQLException {
            return EventRows.read(rs, EVENT_COLUMN);
          }

          @Override
          public Event salvage(int j) throws SQLException {
            return EventRows.salvage(rs, EVENT_COLUMN);
          }
        };
        while (rs.next()) {
          int partition = rs.getInt(1);
          unread[partition]--;
          PartitionState state = leases.get(partition);
          if (state != null) {
            pass.offer(state, Long.parseLong(rs.getString(2)), rs.getLong(3), row, 0,
                rs.getInt(ATTEMPTS_COLUMN));
          }
        }
      }
    }
    for (PartitionState p : asked) {
      if (unread[p.partition] <= 0) {
        return true;
      }
    }
    return false;
  }
}
