package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Status;

/**
 * The bus's {@code operations().health()} as a Spring Boot 3 Actuator health contributor
 * ({@code /actuator/health/relaybus}): UP and DOWN as they are, DEGRADED as a status of that
 * name (a failing check within {@code relaybus.health.grace-period}); each component with its
 * status, reason and since when.
 */
public final class RelaybusHealthIndicator extends AbstractHealthIndicator {

  /** The status of a component that fails within its grace period. */
  public static final Status DEGRADED = new Status(HealthDetails.DEGRADED,
      HealthDetails.DEGRADED_DESCRIPTION);

  private final EventBus bus;

  /**
   * Creates it.
   *
   * @param bus the bus
   */
  public RelaybusHealthIndicator(EventBus bus) {
    super("Relaybus health check failed");
    this.bus = bus;
  }

  @Override
  protected void doHealthCheck(org.springframework.boot.actuate.health.Health.Builder builder) {
    Health health = bus.operations().health();
    builder.status(status(health.status())).withDetails(HealthDetails.of(bus, health));
  }

  private static Status status(Health.Status status) {
    return switch (status) {
      case UP -> Status.UP;
      case DEGRADED -> DEGRADED;
      case DOWN -> Status.DOWN;
    };
  }
}
