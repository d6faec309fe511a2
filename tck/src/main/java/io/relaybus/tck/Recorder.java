package io.relaybus.tck;

import io.relaybus.Delivery;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what handlers saw: every delivery (event id, member, attempt) and how often each
 * event was handled. Thread-safe.
 */
public final class Recorder {
  /** One handler invocation. */
  public record Seen(String eventId, String member, int attempt, String text) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  /** Creates an empty recorder. */
  public Recorder() {
  }

  /**
   * Records a delivery.
   *
   * @param member which member handled it
   * @param delivery the delivery
   */
  public void record(String member, Delivery delivery) {
    String id = delivery.event().id();
    seen.add(new Seen(id, member, delivery.attempt(), delivery.event().dataAsText()));
    counts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
  }

  /**
   * Every invocation in order.
   *
   * @return a snapshot
   */
  public List<Seen> all() {
    return new ArrayList<>(seen);
  }

  /**
   * The distinct event ids handled.
   *
   * @return a snapshot
   */
  public Set<String> ids() {
    return Collections.unmodifiableSet(Set.copyOf(counts.keySet()));
  }

  /**
   * The number of distinct events handled.
   *
   * @return the count
   */
  public int distinct() {
    return counts.size();
  }

  /**
   * The number of handler invocations.
   *
   * @return the count
   */
  public int invocations() {
    return seen.size();
  }

  /**
   * How often each event was handled, for events handled more than once.
   *
   * @return event id to count
   */
  public Map<String, Integer> duplicates() {
    Map<String, Integer> d = new ConcurrentHashMap<>();
    counts.forEach((id, c) -> {
      if (c.get() > 1) {
        d.put(id, c.get());
      }
    });
    return d;
  }

  /**
   * Invocations per member.
   *
   * @return member to count
   */
  public Map<String, Integer> perMember() {
    Map<String, Integer> m = new ConcurrentHashMap<>();
    for (Seen s : seen) {
      m.merge(s.member(), 1, Integer::sum);
    }
    return m;
  }
}
