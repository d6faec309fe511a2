package io.relaybus.spring.boot.internal;

import io.relaybus.EventBus;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The health contributor on Spring Boot 4's health API; see {@link HealthContributors}. */
@Configuration(proxyBeanMethods = false)
public class Boot4HealthConfiguration {

  /** Creates it; Spring does. */
  public Boot4HealthConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "relaybusHealthIndicator")
  @ConditionalOnBean(EventBus.class)
  RelaybusBoot4HealthIndicator relaybusHealthIndicator(EventBus bus) {
    return new RelaybusBoot4HealthIndicator(bus);
  }
}
