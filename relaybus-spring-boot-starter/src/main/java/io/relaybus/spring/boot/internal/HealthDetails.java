package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bus's health as Actuator shows it, whichever Spring Boot's health API the application
 * has: the details ({@code transport}, and each component with its status, reason and since
 * when) and the status name. Boot 3 and Boot 4 each have an indicator over it.
 */
final class HealthDetails {

  /** The name of the status of a component that fails within its grace period. */
  static final String DEGRADED = "DEGRADED";

  /** The description of {@link #DEGRADED}. */
  static final String DEGRADED_DESCRIPTION =
      "a check failed within relaybus.health.grace-period";

  private HealthDetails() {}

  /** The details of a health of the bus. */
  static Map<String, Object> of(EventBus bus, Health health) {
    Map<String, Object> components = new LinkedHashMap<>();
    for (Health.Component c : health.components()) {
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("status", c.status().name());
      c.reason().ifPresent(r -> detail.put("reason", r));
      detail.put("since", c.since().toString());
      components.put(c.name(), detail);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("transport", bus.transportName());
    details.put("components", components);
    return details;
  }
}
