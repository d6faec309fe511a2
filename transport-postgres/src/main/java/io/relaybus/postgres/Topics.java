package io.relaybus.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topics this bus has used and their partition counts. A topic is registered in
 * {@code <schema>.topics} on first use ({@code ensure_topic}); its count never changes after, so
 * it is read from the database once per bus.
 */
final class Topics {
  private final PostgresSettings settings;
  private final Map<String, Integer> partitionsByTopic = new ConcurrentHashMap<>();

  Topics(PostgresSettings settings) {
    this.settings = settings;
  }

  /** The topic's partition count, registering the topic on first use. */
  int partitions(Connection c, String topic) throws SQLException {
    Integer n = partitionsByTopic.get(topic);
    if (n != null) {
      return n;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT " + settings.schema
        + ".ensure_topic(?, ?)")) {
      ps.setString(1, topic);
      ps.setInt(2, settings.partitions);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        n = rs.getInt(1);
      }
    }
    partitionsByTopic.put(topic, n);
    return n;
  }
}
