package io.relaybus.spring.boot;

import io.relaybus.spring.boot.internal.HealthContributors;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Import;

/**
 * The Actuator health contributor {@code relaybus} ({@code /actuator/health/relaybus}) from
 * {@code bus.operations().health()}, when Actuator's health API is on the class path: Spring
 * Boot 3's ({@code org.springframework.boot.actuate.health}) or Spring Boot 4's ({@code
 * org.springframework.boot.health}). Off with {@code management.health.relaybus.enabled=false}.
 */
@AutoConfiguration(after = RelaybusAutoConfiguration.class)
@ConditionalOnProperty(name = "management.health.relaybus.enabled", matchIfMissing = true)
@Import(HealthContributors.class)
public class RelaybusHealthAutoConfiguration {

  /** Creates the auto-configuration; Spring does. */
  public RelaybusHealthAutoConfiguration() {}
}
