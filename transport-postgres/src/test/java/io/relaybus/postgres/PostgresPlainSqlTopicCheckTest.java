package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The events table has no per-row topic CHECK (it would slow every insert); a plain-SQL row
 * with an invalid topic is still refused, by the topics table its trigger registers the topic
 * in.
 */
class PostgresPlainSqlTopicCheckTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_topic_check");

  @Test
  void plainSqlRowWithAnInvalidTopicIsRefused() throws Exception {
    DB.buses().bus(); // creates the schema
    try (Connection c = DB.connect("plain-sql")) {
      for (String topic : new String[] {"x'; DROP TABLE relaybus.events;--", "a b", "", "ü"}) {
        assertThatThrownBy(() -> insert(c, topic)).as(topic).isInstanceOf(SQLException.class)
            .hasMessageContaining("topics_topic_check");
      }
      insert(c, "valid.topic-1");
    }
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.events")).isEqualTo(1);
  }

  private static void insert(Connection c, String topic) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO relaybus.events (topic, id, "
        + "source, type) VALUES (?, 'id-1', '/s', 't')")) {
      ps.setString(1, topic);
      ps.executeUpdate();
    }
  }
}
