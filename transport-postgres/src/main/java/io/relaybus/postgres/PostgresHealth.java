package io.relaybus.postgres;

import io.relaybus.ops.Health;
import io.relaybus.spi.HealthGrace;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The transport's health components, each a {@link HealthGrace} fed by checks that run anyway:
 * {@code postgres.pool} by {@link PoolHealthCheck}, {@code postgres.listen} by the
 * {@link NotificationListener} (absent with {@code poll-only}), and
 * {@code postgres.leases.<topic>/<group>} by the group's members on this bus, from their
 * heartbeats. Reading the health runs no query: it reports the last results.
 */
final class PostgresHealth {
  static final String POOL = "postgres.pool";
  static final String LISTEN = "postgres.listen";
  static final String LEASES = "postgres.leases.";

  private final Duration gracePeriod;
  private final Clock clock = Clock.systemUTC();
  private final HealthGrace pool;
  private final HealthGrace listen;
  private MemberRegistry members;

  PostgresHealth(Duration gracePeriod, boolean listening) {
    this.gracePeriod = gracePeriod;
    this.pool = new HealthGrace(POOL, gracePeriod, clock);
    this.listen = listening ? new HealthGrace(LISTEN, gracePeriod, clock) : null;
  }

  /** The members to report on, once the registry exists. */
  void members(MemberRegistry registry) {
    this.members = registry;
  }

  HealthGrace pool() {
    return pool;
  }

  /** The LISTEN connection's component, or {@code null} with {@code poll-only}. */
  HealthGrace listen() {
    return listen;
  }

  /** A new member's component. */
  HealthGrace member(String topic, String group) {
    return new HealthGrace(LEASES + topic + "/" + group, gracePeriod, clock);
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
    if (members != null) {
      for (GroupMember m : members.all()) {
        Health.Component c = m.health().component();
        groups.merge(c.name(), c, PostgresHealth::worse);
      }
    }
    components.addAll(groups.values());
    return Health.of(components);
  }

  private static Health.Component worse(Health.Component a, Health.Component b) {
    return b.status().compareTo(a.status()) > 0 ? b : a;
  }
}
