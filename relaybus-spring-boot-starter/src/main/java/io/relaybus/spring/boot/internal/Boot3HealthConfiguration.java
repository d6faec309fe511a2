package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The health contributor on Spring Boot 3's health API; see {@link HealthContributors}. */
@Configuration(proxyBeanMethods = false)
public class Boot3HealthConfiguration {

  /** Creates it; Spring does. */
  public Boot3HealthConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "relaybusHealthIndicator")
  @ConditionalOnBean(EventBus.class)
  RelaybusHealthIndicator relaybusHealthIndicator(EventBus bus) {
    return new RelaybusHealthIndicator(bus);
  }
}
