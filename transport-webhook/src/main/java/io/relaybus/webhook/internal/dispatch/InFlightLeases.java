package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.Outbox;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deliveries this sender holds — requests in flight, deliveries claimed ahead, successes
 * not yet recorded — and the lease their claims are renewed with. The dispatcher thread renews
 * them every third of the lease, so a sender's claims live as long as the sender does, whatever
 * the call timeout, and come back one lease after it dies.
 */
final class InFlightLeases {

  private static final Logger LOG = LoggerFactory.getLogger(InFlightLeases.class);

  private final Outbox outbox;
  private final Set<Long> ids = ConcurrentHashMap.newKeySet();
  private volatile Duration lease;

  InFlightLeases(Outbox outbox, Duration lease) {
    this.outbox = outbox;
    this.lease = lease;
  }

  Duration lease() {
    return lease;
  }

  /** Shortens the lease to at most {@code ttl}. */
  void limit(Duration ttl) {
    if (ttl.compareTo(lease) < 0) {
      lease = ttl;
    }
  }

  long renewEveryNanos() {
    return Math.max(10_000_000L, lease.toNanos() / 3);
  }

  /**
   * Marks a claimed delivery as this sender's.
   *
   * @return false when it already is: its lease ran out while its request still runs here
   *     (renewal was late), and the new claim only renewed it
   */
  boolean add(long deliveryId) {
    return ids.add(deliveryId);
  }

  void remove(long deliveryId) {
    ids.remove(deliveryId);
  }

  /** Extends the leases of every delivery this sender holds. */
  void renew() {
    if (ids.isEmpty()) {
      return;
    }
    try {
      outbox.renew(List.copyOf(ids), lease);
    } catch (RuntimeException e) {
      LOG.warn("Could not renew the leases of {} requests in flight (retried in {} ms): {}",
          ids.size(), renewEveryNanos() / 1_000_000, e.toString());
    }
  }
}
