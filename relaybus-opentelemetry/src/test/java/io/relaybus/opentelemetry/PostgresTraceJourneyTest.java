package io.relaybus.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.postgres.PostgresTransport;
import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The traced journey on PostgreSQL: the context is stored in the event's headers column. */
class PostgresTraceJourneyTest extends TraceJourneyContract {
  private static PostgresServer database;

  @BeforeAll
  static void createDatabase() {
    database = RelaybusServers.postgres().createDatabase(
        "otel_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 4));
  }

  @Override
  protected Map<String, String> busConfig() {
    Map<String, String> config = database.relaybusProperties();
    config.put("relaybus.postgres.poll-interval", "200ms");
    return config;
  }

  @Test
  void aPublishIntoTheCallersTransactionContinuesTheCallersTrace() throws Exception {
    Tracing tracing = tracing();
    EventBus bus = bus(RelaybusTelemetry.create(tracing.openTelemetry));
    String topic = topic();
    List<String> handlerTraces = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, GROUP,
        d -> handlerTraces.add(Span.current().getSpanContext().getTraceId()));

    Span request = tracing.openTelemetry.getTracer("test").spanBuilder("POST /orders")
        .startSpan();
    try (Scope ignored = request.makeCurrent();
        Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(),
            database.password())) {
      c.setAutoCommit(false);
      bus.unwrap(PostgresTransport.class).publish(c, topic,
          List.of(Event.builder().source("/shop").type("order.placed").text("o-1").build()));
      c.commit();
    } finally {
      request.end();
    }

    await().atMost(patience()).until(() -> handlerTraces.size() == 1);
    assertThat(handlerTraces).containsExactly(request.getSpanContext().getTraceId());
    List<SpanData> producers = tracing.spans().stream()
        .filter(s -> s.getKind() == SpanKind.PRODUCER).toList();
    assertThat(producers).singleElement().satisfies(s -> assertThat(s.getParentSpanId())
        .isEqualTo(request.getSpanContext().getSpanId()));
  }
}
