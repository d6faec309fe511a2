package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Status;

/**
 * The bus's {@code operations().health()} as an Actuator health contributor
 * ({@code /actuator/health/relaybus}): UP and DOWN as they are, DEGRADED as a status of that
 * name (a failing check within {@code relaybus.health.grace-period}); each component with its
 * status, reason and since when.
 */
public final class RelaybusHealthIndicator extends AbstractHealthIndicator {

  /** The status of a component that fails within its grace period. */
  public static final Status DEGRADED = new Status("DEGRADED",
      "a check failed within relaybus.health.grace-period");

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
    builder.status(status(health.status())).withDetail("transport", bus.transportName());
    Map<String, Object> components = new LinkedHashMap<>();
    for (Health.Component c : health.components()) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("status", c.status().name());
      c.reason().ifPresent(r -> detail.put("reason", r));
      detail.put("since", c.since().toString());
      components.put(c.name(), detail);
    }
    builder.withDetail("components", components);
  }

  private static Status status(Health.Status status) {
    return switch (status) {
      case UP -> Status.UP;
      case DEGRADED -> DEGRADED;
      case DOWN -> Status.DOWN;
    };
  }
}
