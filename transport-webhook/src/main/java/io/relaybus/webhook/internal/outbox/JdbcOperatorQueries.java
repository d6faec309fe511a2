package io.relaybus.webhook.internal.outbox;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The read-only queries of the operations API on the {@link JdbcOutbox}'s tables: a route's
 * backlog, the known topics, what is left of one event. None of them changes anything, and
 * none is on the publish or delivery path.
 */
final class JdbcOperatorQueries {

  private final JdbcTransactions tx;
  private final String s;

  JdbcOperatorQueries(JdbcTransactions tx, String schema) {
    this.tx = tx;
    this.s = schema;
  }

  Backlog backlog(String route, String topic) {
    return tx.run(c -> {
      // Rows, and the route's pack events of the topic not done (a pack's age: its route pack's).
      try (PreparedStatement ps = c.prepareStatement("SELECT sum(n), min(oldest), now() FROM ("
          + "SELECT count(*) AS n, min(created_at) AS oldest FROM " + s + ".delivery WHERE "
          + "route = ? AND topic = ? UNION ALL SELECT count(*), min(rp.created_at) FROM " + s
          + ".route_pack rp JOIN " + s + ".pack p ON p.id = rp.pack_id, unnest(p.topics) WITH "
          + "ORDINALITY AS t(topic, i) WHERE rp.route = ? AND t.topic = ? AND "
          + "get_bit(rp.done, (t.i - 1)::int) = 0) x")) {
        ps.setString(1, route);
        ps.setString(2, topic);
        ps.setString(3, route);
        ps.setString(4, topic);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          Timestamp oldest = rs.getTimestamp(2);
          return new Backlog(rs.getLong(1), oldest == null ? null : oldest.toInstant(),
              rs.getTimestamp(3).toInstant());
        }
      }
    });
  }

  List<String> topics() {
    return tx.run(c -> {
      Set<String> out = new TreeSet<>(); // Java's order, not the collation's
      try (PreparedStatement ps = c.prepareStatement("SELECT t FROM (SELECT unnest(topics) AS t "
          + "FROM " + s + ".route UNION SELECT topic FROM " + s + ".delivery UNION SELECT "
          + "unnest(topics) FROM " + s + ".pack UNION SELECT topic FROM " + s + ".dead_letter) x "
          + "WHERE t <> '*'");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return List.copyOf(out);
    });
  }

  EventTrace trace(String topic, String eventId, Collection<String> routes) {
    return tx.run(c -> {
      Map<String, Long> pending = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT route, sum(n) FROM (SELECT route, "
          + "count(*) AS n FROM " + s + ".delivery WHERE topic = ? AND event_id = ? GROUP BY "
          + "route UNION ALL SELECT rp.route, count(*) FROM " + s + ".route_pack rp JOIN " + s
          + ".pack p ON p.id = rp.pack_id, unnest(p.topics, p.event_ids) WITH ORDINALITY AS "
          + "u(topic, event_id, i) WHERE u.topic = ? AND u.event_id = ? AND "
          + "get_bit(rp.done, (u.i - 1)::int) = 0 GROUP BY rp.route) x GROUP BY route")) {
        ps.setString(1, topic);
        ps.setString(2, eventId);
        ps.setString(3, topic);
        ps.setString(4, eventId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            pending.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      Set<String> dead = new HashSet<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT grp FROM " + s
          + ".dead_letter WHERE topic = ? AND attributes::json->>'id' = ?")) {
        ps.setString(1, topic);
        ps.setString(2, eventId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            dead.add(rs.getString(1));
          }
        }
      }
      Set<String> delivered = new HashSet<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT route FROM " + s
          + ".attempt WHERE route = ANY(?) AND event_id = ? AND status BETWEEN 200 AND 299")) {
        ps.setArray(1, c.createArrayOf("text", routes.toArray()));
        ps.setString(2, eventId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            delivered.add(rs.getString(1));
          }
        }
      }
      return new EventTrace(pending, dead, delivered);
    });
  }
}
