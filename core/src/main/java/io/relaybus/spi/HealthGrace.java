package io.relaybus.spi;

import io.relaybus.ops.Health;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One health component whose raw checks are turned into a status that does not flap: a failing
 * check makes it {@link Health.Status#DEGRADED} at once and {@link Health.Status#DOWN} only
 * when checks have failed for the whole grace period ({@code relaybus.health.grace-period}); one
 * passing check makes it {@link Health.Status#UP} again. Transports keep one per component
 * (pool, LISTEN connection, broker, consumer, endpoint) and report every check to it.
 * Thread-safe.
 */
public final class HealthGrace {
  /** The key of the grace period, read by the core and by every transport. */
  public static final String GRACE_PERIOD_KEY = "relaybus.health.grace-period";
  /** The grace period when the key is absent. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);

  private final String name;
  private final Duration gracePeriod;
  private final Clock clock;
  private Health.Status status = Health.Status.UP; // guarded by this
  private Instant since; // guarded by this
  private Instant failingSince; // null while passing; guarded by this
  private String reason; // guarded by this

  /**
   * A component that is up until a check fails.
   *
   * @param name the component's name, such as {@code postgres.pool}
   * @param gracePeriod how long checks must fail before it is down
   * @param clock the clock
   */
  public HealthGrace(String name, Duration gracePeriod, Clock clock) {
    this.name = Objects.requireNonNull(name, "name");
    this.gracePeriod = Objects.requireNonNull(gracePeriod, "gracePeriod");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.since = clock.instant();
  }

  /**
   * Reads the grace period from settings.
   *
   * @param settings the bus's settings
   * @return {@code relaybus.health.grace-period}, or {@link #DEFAULT_GRACE_PERIOD}
   */
  public static Duration gracePeriod(Settings settings) {
    Settings.Reader r = settings.reader();
    Duration d = r.duration(GRACE_PERIOD_KEY, DEFAULT_GRACE_PERIOD, Duration.ZERO,
        Duration.ofHours(1));
    r.validate();
    return d;
  }

  /** A check passed: the component is up. */
  public synchronized void passed() {
    failingSince = null;
    reason = null;
    moveTo(Health.Status.UP);
  }

  /**
   * A check failed: the component is degraded, and down once checks have failed for the
   * grace period.
   *
   * @param why what failed, for the operator
   */
  public synchronized void failed(String why) {
    Instant now = clock.instant();
    reason = Objects.requireNonNull(why, "why");
    if (failingSince == null) {
      failingSince = now;
    }
    boolean down = Duration.between(failingSince, now).compareTo(gracePeriod) >= 0;
    moveTo(down ? Health.Status.DOWN : Health.Status.DEGRADED);
  }

  /**
   * The component as it stands; a component failing since longer than the grace period is down
   * even when no check ran since.
   *
   * @return the component
   */
  public synchronized Health.Component component() {
    if (failingSince != null && status == Health.Status.DEGRADED
        && Duration.between(failingSince, clock.instant()).compareTo(gracePeriod) >= 0) {
      moveTo(Health.Status.DOWN);
    }
    return new Health.Component(name, status, Optional.ofNullable(reason), since);
  }

  private void moveTo(Health.Status next) {
    if (next != status) {
      status = next;
      since = clock.instant();
    }
  }
}
