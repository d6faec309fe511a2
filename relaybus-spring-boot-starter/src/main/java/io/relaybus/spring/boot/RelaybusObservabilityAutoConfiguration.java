package io.relaybus.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.relaybus.EventBus;
import io.relaybus.micrometer.RelaybusMetrics;
import io.relaybus.micrometer.RelaybusOperationsMetrics;
import io.relaybus.opentelemetry.RelaybusTelemetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Meters and traces of the bus, each only when its library is on the class path (health is
 * {@code RelaybusHealthAutoConfiguration}):
 * <ul>
 *   <li>{@code relaybus-micrometer} and a {@code MeterRegistry} bean: {@link RelaybusMetrics} on
 *       the bus and {@link RelaybusOperationsMetrics} (lag, webhook endpoints) bound to the
 *       registry;
 *   <li>{@code relaybus-opentelemetry} and an {@code OpenTelemetry} bean: traces through
 *       {@link RelaybusTelemetry}, so a request's trace continues into every handler.
 * </ul>
 */
@AutoConfiguration(after = RelaybusAutoConfiguration.class, afterName = {
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.opentelemetry.OpenTelemetryAutoConfiguration"})
public class RelaybusObservabilityAutoConfiguration {

  /** Creates the auto-configuration; Spring does. */
  public RelaybusObservabilityAutoConfiguration() {}

  /** Micrometer meters. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"io.relaybus.micrometer.RelaybusMetrics",
      "io.micrometer.core.instrument.MeterRegistry"})
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean(name = "relaybusMetricsCustomizer")
    RelaybusBusCustomizer relaybusMetricsCustomizer(ObjectProvider<MeterRegistry> registry) {
      return builder -> {
        MeterRegistry r = registry.getIfUnique();
        if (r != null) {
          builder.instrumentation(new RelaybusMetrics(r));
        }
      };
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBean({EventBus.class, MeterRegistry.class})
    RelaybusOperationsMetrics relaybusOperationsMetrics(EventBus bus, MeterRegistry registry) {
      RelaybusOperationsMetrics gauges = RelaybusOperationsMetrics.builder(bus).build();
      gauges.bindTo(registry);
      return gauges;
    }
  }

  /** OpenTelemetry traces. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"io.relaybus.opentelemetry.RelaybusTelemetry",
      "io.opentelemetry.api.OpenTelemetry"})
  static class Tracing {
    @Bean
    @ConditionalOnMissingBean(name = "relaybusTracingCustomizer")
    RelaybusBusCustomizer relaybusTracingCustomizer(ObjectProvider<OpenTelemetry> openTelemetry) {
      return builder -> {
        OpenTelemetry otel = openTelemetry.getIfUnique();
        if (otel != null) {
          builder.instrumentation(RelaybusTelemetry.create(otel));
        }
      };
    }
  }
}
