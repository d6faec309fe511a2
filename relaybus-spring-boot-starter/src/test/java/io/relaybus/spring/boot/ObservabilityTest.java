package io.relaybus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.micrometer.RelaybusMetrics;
import io.relaybus.micrometer.RelaybusOperationsMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Meters and traces of the auto-configured bus (health: {@link HealthTest}). */
class ObservabilityTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RelaybusAutoConfiguration.class,
          RelaybusObservabilityAutoConfiguration.class));

  @Test
  void withAMeterRegistryTheBusIsMetered() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      EventBus bus = context.getBean(EventBus.class);
      assertThat(context).hasSingleBean(RelaybusOperationsMetrics.class);
      bus.publish("orders", Event.builder().source("/t").type("t").text("x").build()).join();
      assertThat(registry.get(RelaybusMetrics.SENT_MESSAGES).tag(RelaybusMetrics.DESTINATION,
          "orders").counter().count()).isEqualTo(1.0);
    });
  }

  @Test
  void withoutAMeterRegistryThereAreNoMeters() {
    runner.run(context -> assertThat(context).doesNotHaveBean(RelaybusOperationsMetrics.class));
  }

  @Test
  void withOpenTelemetryTheTraceOfTheCallerContinuesIntoTheHandler() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider
        .builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
    runner.withBean(OpenTelemetry.class, () -> otel).run(context -> {
      EventBus bus = context.getBean(EventBus.class);
      List<String> handlerTraces = new CopyOnWriteArrayList<>();
      bus.subscribe("orders", "billing",
          d -> handlerTraces.add(Span.current().getSpanContext().getTraceId()));
      Span request = otel.getTracer("test").spanBuilder("POST /orders").startSpan();
      try (Scope ignored = request.makeCurrent()) {
        bus.publish("orders", Event.builder().source("/t").type("t").text("x").build()).join();
      } finally {
        request.end();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> handlerTraces.size() == 1);
      assertThat(handlerTraces.get(0)).isEqualTo(request.getSpanContext().getTraceId());
    });
  }
}
