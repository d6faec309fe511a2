package io.relaybus.webhook;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.spi.Names;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Dead letters of the webhook transport. The group of a dead letter is either a consumer group
 * (its receiving bus gave up) or an endpoint name (the sender exhausted the retry schedule);
 * replay writes a fresh delivery to that group or endpoint only. Every operation is one of the
 * filtered ones ({@link DeadLetterQuery}): listing a group is a search, replaying or purging a
 * group is a bulk replay or purge of its filter.
 */
final class WebhookDeadLetters implements DeadLetters {
  /** Dead letters replayed per outbox transaction. */
  private static final int REPLAY_BATCH = 500;

  private final Outbox outbox;
  private final Runnable wake;

  WebhookDeadLetters(Outbox outbox, Runnable wake) {
    this.outbox = outbox;
    this.wake = wake;
  }

  private static DeadLetterQuery filter(String topic, String group) {
    return DeadLetterQuery.builder(topic).group(group).build();
  }

  @Override
  public List<DeadLetter> list(String topic, String group, int limit) {
    DeadLetterQuery filter = filter(topic, group);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, not " + limit);
    }
    return outbox.deadLetters(filter, 0, limit);
  }

  @Override
  public long count(String topic, String group) {
    return counts(topic, group).values().stream().mapToLong(Long::longValue).sum();
  }

  /** Counts per reason ({@link io.relaybus.ops.Operations#deadLetterCounts}). */
  Map<DeadLetterReason, Long> counts(String topic, String group) {
    Names.requireTopic(topic);
    Names.requireGroup(group);
    return outbox.deadLetterCounts(topic, group);
  }

  /** One page of a search ({@link io.relaybus.ops.Operations#deadLetters}). */
  DeadLetterPage page(DeadLetterQuery query) {
    long after = query.after().map(t -> afterId(query, t)).orElse(0L);
    List<DeadLetter> found = outbox.deadLetters(query, after, query.limit() + 1);
    if (found.size() <= query.limit()) {
      return new DeadLetterPage(found, Optional.empty());
    }
    List<DeadLetter> items = found.subList(0, query.limit());
    return new DeadLetterPage(items, Optional.of(items.get(items.size() - 1).id()));
  }

  private static long afterId(DeadLetterQuery query, String token) {
    try {
      return Long.parseLong(token);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid page token '" + token + "' for " + query
          + ": expected the next() of a previous page", e);
    }
  }

  /** The route a group's or endpoint's replayed deliveries go to. */
  private static String routeOf(Set<String> routes, String topic, String group) {
    String groupRoute = Route.groupRoute(group, topic);
    return routes.contains(groupRoute) ? groupRoute : group;
  }

  private Set<String> routeNames() {
    Set<String> names = new HashSet<>();
    for (Route r : outbox.routes()) {
      names.add(r.name());
    }
    return names;
  }

  @Override
  public boolean replay(String topic, String group, String deadLetterId) {
    filter(topic, group);
    boolean done = outbox.replay(topic, group, List.of(deadLetterId),
        routeOf(routeNames(), topic, group)) > 0;
    if (done) {
      wake.run();
    }
    return done;
  }

  @Override
  public int replayAll(String topic, String group) {
    return (int) replay(filter(topic, group));
  }

  /**
   * Replays every dead letter matching the filter, a batch per transaction, each to its own
   * group or endpoint ({@link io.relaybus.ops.Operations#replayDeadLetters}).
   */
  long replay(DeadLetterQuery filter) {
    Set<String> routes = routeNames();
    long n = 0;
    long after = 0;
    while (true) {
      List<DeadLetter> batch = outbox.deadLetters(filter, after, REPLAY_BATCH);
      if (batch.isEmpty()) {
        break;
      }
      after = Long.parseLong(batch.get(batch.size() - 1).id());
      Map<String, List<String>> idsByGroup = new LinkedHashMap<>();
      for (DeadLetter d : batch) {
        idsByGroup.computeIfAbsent(d.group(), g -> new ArrayList<>()).add(d.id());
      }
      for (Map.Entry<String, List<String>> e : idsByGroup.entrySet()) {
        n += outbox.replay(filter.topic(), e.getKey(), e.getValue(),
            routeOf(routes, filter.topic(), e.getKey()));
      }
    }
    if (n > 0) {
      wake.run();
    }
    return n;
  }

  @Override
  public int purge(String topic, String group) {
    return (int) purge(filter(topic, group));
  }

  /** Deletes every dead letter matching the filter. */
  long purge(DeadLetterQuery filter) {
    return outbox.purge(filter);
  }
}
