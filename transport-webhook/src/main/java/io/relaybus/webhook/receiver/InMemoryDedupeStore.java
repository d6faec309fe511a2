package io.relaybus.webhook.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded in-process {@link DedupeStore}: handled ids are kept for the retention period, at
 * most {@code maxEntries} of them; when full, the oldest is forgotten early (logged once as a
 * warning, counted in {@link #evictedEarly()}). Not shared between processes and lost on
 * restart. Thread-safe.
 */
public final class InMemoryDedupeStore implements DedupeStore {

  private static final Logger LOG = LoggerFactory.getLogger(InMemoryDedupeStore.class);

  /** The default capacity. */
  public static final int DEFAULT_MAX_ENTRIES = 100_000;

  private final Duration retention;
  private final int maxEntries;
  private final Clock clock;
  private final Set<String> inProgress = new HashSet<>();
  /** Handled ids in completion order, which is expiry order: the head expires first. */
  private final LinkedHashMap<String, Instant> handled = new LinkedHashMap<>();
  private long evictedEarly;

  /**
   * Creates a store.
   *
   * @param retention how long handled ids are remembered, positive
   * @param maxEntries the most handled ids kept, positive
   * @param clock the clock for expiry
   */
  public InMemoryDedupeStore(Duration retention, int maxEntries, Clock clock) {
    Objects.requireNonNull(retention, "retention");
    if (retention.isZero() || retention.isNegative()) {
      throw new IllegalArgumentException("Dedupe retention must be positive, got " + retention);
    }
    if (maxEntries < 1) {
      throw new IllegalArgumentException("Dedupe maxEntries must be positive, got "
          + maxEntries);
    }
    this.retention = retention;
    this.maxEntries = maxEntries;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized Claim claim(String webhookId) {
    expire();
    if (inProgress.contains(webhookId)) {
      return Claim.IN_PROGRESS;
    }
    if (handled.containsKey(webhookId)) {
      return Claim.ALREADY_HANDLED;
    }
    inProgress.add(webhookId);
    return Claim.ACQUIRED;
  }

  @Override
  public synchronized void complete(String webhookId) {
    inProgress.remove(webhookId);
    handled.remove(webhookId);
    handled.put(webhookId, clock.instant().plus(retention));
    while (handled.size() > maxEntries) {
      Iterator<String> eldest = handled.keySet().iterator();
      eldest.next();
      eldest.remove();
      if (evictedEarly++ == 0) {
        LOG.warn("Webhook dedupe store is full ({} ids): forgetting ids before their {} "
            + "retention; a resend of a forgotten id is handled again. Raise maxEntries or use "
            + "a durable DedupeStore", maxEntries, retention);
      }
    }
  }

  @Override
  public synchronized void release(String webhookId) {
    inProgress.remove(webhookId);
  }

  @Override
  public Duration retention() {
    return retention;
  }

  /**
   * How many handled ids were forgotten before their retention ended because the store was
   * full.
   *
   * @return the count
   */
  public synchronized long evictedEarly() {
    return evictedEarly;
  }

  /**
   * How many handled ids are remembered now.
   *
   * @return the count
   */
  public synchronized int size() {
    expire();
    return handled.size();
  }

  private void expire() {
    Instant now = clock.instant();
    Iterator<Map.Entry<String, Instant>> it = handled.entrySet().iterator();
    while (it.hasNext()) {
      if (it.next().getValue().isAfter(now)) {
        return;
      }
      it.remove();
    }
  }

  @Override
  public String toString() {
    return "InMemoryDedupeStore{retention=" + retention + ", maxEntries=" + maxEntries + "}";
  }
}
