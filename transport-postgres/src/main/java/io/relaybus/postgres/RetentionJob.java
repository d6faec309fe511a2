package io.relaybus.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes events that every group of their topic has consumed and that are older than
 * {@code retention}, in bounded batches, and forgets members that stopped long ago. One process
 * at a time does it (advisory lock); events some group has not consumed are never deleted.
 */
final class RetentionJob implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);
  private static final int BATCH = 10_000;

  private final PostgresSettings settings;
  private final Database database;
  /** Failed runs in a row; only the first is logged at WARN (runs are serial). */
  private int failures;

  RetentionJob(PostgresSettings settings, Database database) {
    this.settings = settings;
    this.database = database;
  }

  @Override
  public void run() {
    PostgresSettings s = settings;
    String schema = s.schema;
    try (Connection c = database.connection()) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(hashtext('relaybus-"
              + "retention:" + schema + "'))")) {
        rs.next();
        if (failures > 0) {
          LOG.info("Retention reaches schema {} again after {} failed run(s)", schema, failures);
          failures = 0;
        }
        if (!rs.getBoolean(1)) {
          return;
        }
      }
      try {
        String consumed = " FROM " + schema + ".cursors c WHERE c.topic = x.topic AND "
            + "c.partition = x.partition AND (x.target_group IS NULL OR x.target_group = c.grp) "
            + "AND (c.last_txid, c.last_seq) < (x.txid, x.seq)";
        // A row is kept while any group has not finished it; a pack (ADR 0012) while any group
        // has not passed its last event.
        long rows = delete(c, "DELETE FROM " + schema + ".events WHERE ctid = ANY (ARRAY("
            + "SELECT x.ctid FROM " + schema + ".events x WHERE x.published_at < now() - ? * "
            + "interval '1 millisecond' AND NOT EXISTS (SELECT 1" + consumed + " AND NOT x.seq = "
            + "ANY (c.done_ahead)) LIMIT ?)) RETURNING 1", s);
        long packed = delete(c, "DELETE FROM " + schema + ".packs WHERE ctid = ANY (ARRAY("
            + "SELECT x.ctid FROM " + schema + ".packs x WHERE x.published_at < now() - ? * "
            + "interval '1 millisecond' AND NOT EXISTS (SELECT 1" + consumed + ") LIMIT ?)) "
            + "RETURNING cardinality(seqs)", s);
        long total = rows + packed;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema + ".members "
            + "WHERE heartbeat_at < now() - ? * interval '1 millisecond'")) {
          ps.setLong(1, s.leaseTimeout.toMillis() * 10);
          ps.executeUpdate();
        }
        if (total > 0) {
          LOG.info("Retention removed {} consumed event(s) older than {} from {}.events and "
              + "{}.packs", total, s.retention, schema, schema);
        }
      } finally {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_advisory_unlock(hashtext('relaybus-retention:" + schema + "'))");
        }
      }
    } catch (SQLException | RuntimeException e) {
      if (failures++ == 0) {
        LOG.warn("Retention run on schema {} failed; it runs again later: {}", schema,
            SqlErrors.rootCause(e));
      } else {
        LOG.debug("Retention run on schema {} failed again ({} in a row): {}", schema, failures,
            SqlErrors.rootCause(e));
      }
    }
  }

  /**
   * Runs a batched delete whose rows each return their event count until a batch comes back
   * short; returns the events removed.
   */
  private static long delete(Connection c, String sql, PostgresSettings s) throws SQLException {
    long events = 0;
    int n;
    do {
      n = 0;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setLong(1, s.retention.toMillis());
        ps.setInt(2, BATCH);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            n++;
            events += rs.getLong(1);
          }
        }
      }
    } while (n == BATCH);
    return events;
  }
}
