package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The bus's {@code operations().health()} as a Spring Boot 3 Actuator health contributor
 * ({@code /actuator/health/relaybus}), as {@link HealthDetails} describes it.
 */
public final class RelaybusHealthIndicator extends AbstractHealthIndicator {
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
  protected void doHealthCheck(Health.Builder builder) {
    HealthDetails health = HealthDetails.of(bus);
    builder.status(new Status(health.status(), health.description()))
        .withDetails(health.details());
  }
}
