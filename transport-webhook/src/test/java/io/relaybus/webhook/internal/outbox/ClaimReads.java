package io.relaybus.webhook.internal.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Runs a claim's statement ({@link JdbcOutbox#succeededAndClaim}) on a connection and counts the
 * delivery rows PostgreSQL read for it, the schema functions' own scans included: from the
 * session's table statistics before and after (whatever the plan's shape), rows of sequential
 * and bitmap scans and index entries returned. Rolled back: claims and locks go with it.
 */
final class ClaimReads {

  private ClaimReads() {}

  /**
   * @param records whether the claim records a round's successes first (here of a delivery
   *     that no longer exists)
   * @param max the most the claim takes (an ordered route's takes one)
   * @return delivery rows read
   */
  static long of(JdbcOutbox outbox, Connection c, String schema, boolean ordered, boolean byKey,
      boolean records, String route, int max) throws SQLException {
    JdbcOutbox.SuccessArrays arrays = records ? new JdbcOutbox.SuccessArrays(List.of(
        new AttemptRecord(-1, 1, Instant.now(), Duration.ofMillis(5), 200, null))) : null;
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      // Planned once first: planning probes the indexes for the oldest due time, which the first
      // time after a mass delete walks the dead entries it then marks (not the claim's work).
      outbox.succeededAndClaim(c, arrays, route, max, ordered, byKey, Duration.ofMinutes(1));
      c.rollback();
      long before = rowsRead(c, schema);
      outbox.succeededAndClaim(c, arrays, route, max, ordered, byKey, Duration.ofMinutes(1));
      return rowsRead(c, schema) - before;
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
  }

  private static long rowsRead(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_stat_get_xact_tuples_returned("
        + "t.oid) + pg_stat_get_xact_tuples_fetched(t.oid) + coalesce((SELECT sum("
        + "pg_stat_get_xact_tuples_returned(i.indexrelid)) FROM pg_index i WHERE i.indrelid = "
        + "t.oid), 0) FROM (SELECT ?::regclass::oid AS oid) t")) {
      ps.setString(1, schema + ".delivery");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
