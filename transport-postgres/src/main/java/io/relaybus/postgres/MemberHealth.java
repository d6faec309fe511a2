package io.relaybus.postgres;

import io.relaybus.ops.Health;
import io.relaybus.spi.HealthGrace;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One member's health component, {@code postgres.consumer.<topic>.<group>}: up while its
 * heartbeats reach the database; degraded when one fails, when none succeeded for longer than
 * a heartbeat period and some slack (its thread waits for a connection the pool cannot give),
 * or, until its next heartbeat, when it lost partitions to another member because its lease
 * expired. Thread-safe: the member's thread reports, the health timer looks for overdue
 * heartbeats.
 */
final class MemberHealth {
  private final HealthGrace grace;
  private final Duration leaseTimeout;
  private final long overdueNanos;
  private long lastPass = System.nanoTime(); // guarded by this

  MemberHealth(HealthGrace grace, PostgresSettings settings) {
    this.grace = grace;
    this.leaseTimeout = settings.leaseTimeout;
    // A member heartbeats every lease-timeout / 3 (GroupMember).
    this.overdueNanos = settings.leaseTimeout.toNanos() / 3 + Math.max(
        TimeUnit.SECONDS.toNanos(1), settings.healthCheckInterval.toNanos() * 2);
  }

  /** A heartbeat succeeded. */
  synchronized void passed() {
    lastPass = System.nanoTime();
    grace.passed();
  }

  /** Reaching the database failed. */
  synchronized void failed(String why) {
    grace.failed(why);
  }

  /**
   * A heartbeat succeeded but found partitions taken over by another member: degraded from
   * now, a problem of its own rather than the outage that may have caused it.
   */
  synchronized void lost(List<Integer> partitions) {
    lastPass = System.nanoTime();
    grace.passed();
    grace.failed("lost partition(s) " + partitions + " to another member: its lease expired "
        + "(no heartbeat within lease-timeout " + leaseTimeout + ")");
  }

  /** Called by the health timer: a member whose heartbeats stopped is failing. */
  synchronized void checkOverdue() {
    long silent = System.nanoTime() - lastPass;
    if (silent > overdueNanos) {
      grace.failed("no heartbeat for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms");
    }
  }

  Health.Component component() {
    return grace.component();
  }
}
