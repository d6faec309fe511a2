package io.relaybus.spring.boot;

import io.relaybus.EventBus;
import io.relaybus.spring.boot.internal.RelaybusHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The Actuator health contributor {@code relaybus} ({@code /actuator/health/relaybus}) from
 * {@code bus.operations().health()}, when Actuator is on the class path; off with
 * {@code management.health.relaybus.enabled=false}.
 */
@AutoConfiguration(after = RelaybusAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnProperty(name = "management.health.relaybus.enabled", matchIfMissing = true)
public class RelaybusHealthAutoConfiguration {

  /** Creates the auto-configuration; Spring does. */
  public RelaybusHealthAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "relaybusHealthIndicator")
  @ConditionalOnBean(EventBus.class)
  RelaybusHealthIndicator relaybusHealthIndicator(EventBus bus) {
    return new RelaybusHealthIndicator(bus);
  }
}
