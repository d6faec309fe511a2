package io.relaybus.postgres;

import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the dead letters the delivery engine decides on, for one member. The insert is
 * retried until it succeeds while the member runs: the event is finished only once its dead
 * letter is stored, so that none is lost.
 */
final class DeadLetterWriter {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriter.class);

  private final MemberStatements sql;
  private final Database database;
  private final String topic;
  private final String group;
  private final BooleanSupplier running;

  DeadLetterWriter(MemberStatements sql, Database database, String topic, String group,
      BooleanSupplier running) {
    this.sql = sql;
    this.database = database;
    this.topic = topic;
    this.group = group;
    this.running = running;
  }

  /** Stores {@code e}, the event at {@code seq} of a partition, as a dead letter. */
  void insert(int partition, long seq, Event e, DeadLetterReason reason, int attempts,
      String lastError) {
    long backoff = 100;
    int failures = 0;
    while (true) {
      try (Connection c = database.connection();
          PreparedStatement ps = c.prepareStatement(sql.insertDeadLetter)) {
        ps.setString(1, topic);
        ps.setString(2, group);
        ps.setLong(3, seq);
        ps.setInt(4, partition);
        EventRows.bind(ps, 5, e);
        ps.setString(15, reason.name());
        ps.setInt(16, attempts);
        ps.setString(17, lastError);
        ps.executeUpdate();
        if (failures > 0) {
          LOG.info("Stored dead letter of event {} (topic '{}', group '{}') after {} failed "
              + "attempt(s)", e.id(), topic, group, failures);
        }
        return;
      } catch (SQLException ex) {
        if (!running.getAsBoolean()) {
          throw new RelaybusException("Cannot store dead letter of event " + e.id()
              + " while closing: " + ex.getMessage(), ex);
        }
        // One WARN per outage, not one per retry.
        if (failures++ == 0) {
          LOG.warn("Storing dead letter of event {} (topic '{}', group '{}') failed, retrying "
              + "until it is stored: {}", e.id(), topic, group, SqlErrors.rootCause(ex));
        } else {
          LOG.debug("Storing dead letter of event {} failed again ({} in a row): {}", e.id(),
              failures, SqlErrors.rootCause(ex));
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new RelaybusException("Interrupted while storing dead letter", ie);
        }
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  }
}
