package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The bus's {@code operations().health()} as a Spring Boot 4 Actuator health contributor
 * (Boot 4 moved the health API to {@code org.springframework.boot.health}), as {@link
 * HealthDetails} describes it.
 */
public final class RelaybusBoot4HealthIndicator extends AbstractHealthIndicator {
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
  protected void doHealthCheck(Health.Builder builder) {
    HealthDetails health = HealthDetails.of(bus);
    builder.status(new Status(health.status(), health.description()))
        .withDetails(health.details());
  }
}
