package io.relaybus.ops;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The health of a bus: {@link Status#UP} when every component is up, {@link Status#DOWN} when
 * any is down, else {@link Status#DEGRADED}.
 *
 * @param status the overall status
 * @param components each component's health, by name
 */
public record Health(Status status, List<Component> components) {

  /** A component's or the bus's status. */
  public enum Status {
    /** Working. */
    UP,
    /** Working with a problem an operator should look at (an open breaker, a lost lease). */
    DEGRADED,
    /** Not working, for longer than the grace period. */
    DOWN
  }

  /**
   * One component: a connection pool, a broker connection, a consumer group member, an
   * endpoint.
   *
   * @param name a stable name such as {@code postgres.pool} or {@code kafka.consumer.billing}
   * @param status its status
   * @param reason why it is not up, empty when up
   * @param since when it entered this status
   */
  public record Component(String name, Status status, Optional<String> reason, Instant since) {

    /**
     * Validates the components.
     *
     * @param name the name
     * @param status the status
     * @param reason the reason
     * @param since the time
     */
    public Component {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(since, "since");
    }
  }

  /**
   * Validates the components.
   *
   * @param status the status
   * @param components the components
   */
  public Health {
    Objects.requireNonNull(status, "status");
    components = List.copyOf(components);
  }

  /**
   * The overall health of some components.
   *
   * @param components the components
   * @return DOWN if any is down, else DEGRADED if any is degraded, else UP
   */
  public static Health of(List<Component> components) {
    Status overall = Status.UP;
    for (Component c : components) {
      if (c.status() == Status.DOWN) {
        overall = Status.DOWN;
      } else if (c.status() == Status.DEGRADED && overall == Status.UP) {
        overall = Status.DEGRADED;
      }
    }
    return new Health(overall, components);
  }
}
