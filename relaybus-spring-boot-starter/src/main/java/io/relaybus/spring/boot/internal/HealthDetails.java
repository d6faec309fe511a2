package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import io.relaybus.ops.Health;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bus's health as Actuator shows it, whichever Spring Boot's health API the application
 * has: the status code ({@code UP}, {@code DOWN}, or {@code DEGRADED} for a failing check within
 * {@code relaybus.health.grace-period}) with its description, and the details ({@code
 * transport}, and each component with its status, reason and since when). Boot 3 and Boot 4
 * each have an indicator over it.
 */
record HealthDetails(String status, String description, Map<String, Object> details) {

  /** The bus's health now. */
  static HealthDetails of(EventBus bus) {
    Health health = bus.operations().health();
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
    String description = health.status() == Health.Status.DEGRADED
        ? "a check failed within relaybus.health.grace-period" : "";
    return new HealthDetails(health.status().name(), description, details);
  }
}
