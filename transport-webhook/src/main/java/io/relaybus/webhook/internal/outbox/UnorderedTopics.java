package io.relaybus.webhook.internal.outbox;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the publisher knows about which topics no route keeps an order for: no ordered endpoint
 * and no consumer group takes them (every route that takes them has {@code packs} set: an
 * unordered endpoint's route), so their publishes may be written by concurrent statements. A
 * topic is learnt with one query and believed unordered until a statement finds otherwise
 * ({@link #keepsOrder}): the statement checks it again in its own snapshot, so a stale belief
 * costs a rewrite, never the order. A topic found ordered is looked up again after
 * {@link #RECHECK_NANOS}, since its ordered endpoint may be removed.
 */
final class UnorderedTopics {

  private static final Logger LOG = LoggerFactory.getLogger(UnorderedTopics.class);
  static final long RECHECK_NANOS = 5_000_000_000L;
  /** Beyond this many topics the map starts over, so that one-off topics cannot fill memory. */
  private static final int MAX_TOPICS = 10_000;

  /** {@code unordered}, or ordered until {@code recheckAt} (a {@link System#nanoTime()}). */
  private record Known(boolean unordered, long recheckAt) {}

  private final JdbcTransactions tx;
  private final String sql;
  private final Map<String, Known> known = new ConcurrentHashMap<>();

  UnorderedTopics(JdbcTransactions tx, String schema) {
    this.tx = tx;
    this.sql = "SELECT t FROM unnest(?::text[]) t WHERE NOT EXISTS (SELECT 1 FROM " + schema
        + ".route r WHERE NOT r.packs AND (t = ANY(r.topics) OR '*' = ANY(r.topics)))";
  }

  /**
   * Whether the topic is believed unordered, or {@code null} when it is to be looked up
   * ({@link #lookUp}).
   */
  Boolean unordered(String topic) {
    Known k = known.get(topic);
    if (k == null || !k.unordered() && System.nanoTime() - k.recheckAt() >= 0) {
      return null;
    }
    return k.unordered();
  }

  /**
   * Looks topics up with one query. When the lookup fails they count as ordered until the next
   * check (the publish then writes them the way that keeps any order).
   */
  void lookUp(Collection<String> topics) {
    if (topics.isEmpty()) {
      return;
    }
    Set<String> unordered = new HashSet<>();
    try {
      tx.runStatement(c -> {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setArray(1, c.createArrayOf("text", topics.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              unordered.add(rs.getString(1));
            }
          }
        }
        return null;
      });
    } catch (RuntimeException e) {
      LOG.debug("Could not look up whether topics {} keep an order; writing them in order",
          topics, e);
    }
    if (known.size() + topics.size() > MAX_TOPICS) {
      known.clear();
    }
    long recheckAt = System.nanoTime() + RECHECK_NANOS;
    for (String t : topics) {
      known.put(t, new Known(unordered.contains(t), recheckAt));
    }
  }

  /** A statement found a route keeping an order among these topics' routes. */
  void keepsOrder(Collection<String> topics) {
    long recheckAt = System.nanoTime() + RECHECK_NANOS;
    for (String t : topics) {
      known.put(t, new Known(false, recheckAt));
    }
  }

  /** The distinct topics of publishes. */
  static Set<String> topics(Collection<OutboxPublisher.Request> requests) {
    Set<String> topics = new LinkedHashSet<>();
    for (OutboxPublisher.Request r : requests) {
      topics.add(r.topic());
    }
    return topics;
  }
}
