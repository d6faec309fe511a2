package io.relaybus.postgres;

import io.relaybus.ops.Health;
import io.relaybus.spi.HealthGrace;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The transport's health components, each a {@link HealthGrace} fed by checks: {@code
 * postgres.pool} by {@link PoolHealthCheck}, {@code postgres.listen} by the {@link
 * NotificationListener}'s own liveness query and reconnects (absent with {@code poll-only}),
 * and {@code postgres.consumer.<topic>.<group>} by the group's members on this bus, from their
 * heartbeats ({@link MemberHealth}). A timer thread starts the pool check and looks for overdue
 * heartbeats every {@code health-check-interval}. Reading the health runs no query: it reports
 * the last results.
 */
final class PostgresHealth implements AutoCloseable {
  static final String POOL = "postgres.pool";
  static final String LISTEN = "postgres.listen";
  static final String CONSUMER = "postgres.consumer.";

  private final PostgresSettings settings;
  private final Duration gracePeriod;
  private final Clock clock = Clock.systemUTC();
  private final HealthGrace pool;
  private final HealthGrace listen;
  private final MemberRegistry members;
  private ScheduledExecutorService timer;
  private PoolHealthCheck poolCheck;

  PostgresHealth(PostgresSettings settings, Duration gracePeriod, MemberRegistry members) {
    this.settings = settings;
    this.gracePeriod = gracePeriod;
    this.members = members;
    this.pool = new HealthGrace(POOL, gracePeriod, clock);
    this.listen = settings.pollOnly ? null : new HealthGrace(LISTEN, gracePeriod, clock);
  }

  /** Starts checking, every {@code health-check-interval}. */
  void start(Database database, ThreadFactory timerThreads, ThreadFactory checkerThreads) {
    poolCheck = new PoolHealthCheck(settings, database, pool, checkerThreads);
    timer = Executors.newSingleThreadScheduledExecutor(timerThreads);
    long interval = settings.healthCheckInterval.toMillis();
    timer.scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    poolCheck.tick();
    for (GroupMember m : members.all()) {
      m.health().checkOverdue();
    }
  }

  /** The LISTEN connection's component, or {@code null} with {@code poll-only}. */
  HealthGrace listen() {
    return listen;
  }

  /** A new member's component. */
  MemberHealth member(String topic, String group) {
    String name = CONSUMER + topic + "." + group;
    return new MemberHealth(new HealthGrace(name, gracePeriod, clock), settings);
  }

  /**
   * The components as the last checks left them. Members of one group on this bus are one
   * component, as healthy as the least healthy of them.
   */
  Health health() {
    List<Health.Component> components = new ArrayList<>();
    components.add(pool.component());
    if (listen != null) {
      components.add(listen.component());
    }
    Map<String, Health.Component> groups = new TreeMap<>();
    for (GroupMember m : members.all()) {
      Health.Component c = m.health().component();
      groups.merge(c.name(), c, PostgresHealth::worse);
    }
    components.addAll(groups.values());
    return Health.of(components);
  }

  private static Health.Component worse(Health.Component a, Health.Component b) {
    return b.status().compareTo(a.status()) > 0 ? b : a;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
      poolCheck.close();
    }
  }
}
