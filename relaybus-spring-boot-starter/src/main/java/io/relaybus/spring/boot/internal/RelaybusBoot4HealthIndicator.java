package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * {@link RelaybusHealthIndicator} for Spring Boot 4, whose health API moved to
 * {@code org.springframework.boot.health}: the same status and details.
 */
public final class RelaybusBoot4HealthIndicator extends AbstractHealthIndicator {

  /** The status of a component that fails within its grace period. */
  public static final Status DEGRADED = new Status(HealthDetails.DEGRADED,
      HealthDetails.DEGRADED_DESCRIPTION);

  private final EventBus bus;

  /**
   * Creates it.
   *
   * @param bus the bus
   */
  public RelaybusBoot4HealthIndicator(EventBus bus) {
    super("Relaybus health check failed");
    this.bus = bus;
  }

  @Override
  protected void doHealthCheck(org.springframework.boot.health.contributor.Health.Builder builder) {
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
